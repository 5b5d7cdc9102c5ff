package dev.orgmesh.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServerBinary;

class HubRendererTest {
    static final Path KOMODO_FILE = Path.of("..", "examples", "komodo-ai.yaml");
    static final Org KOMODO = OrgLoader.load(KOMODO_FILE);
    static final Org RIVAL = OrgLoader.load(resource("orgs/rival-labs.yaml"));

    @TempDir
    Path tmp;

    @Test
    void rendersEveryFileAndKeepsSecretsPrivate() throws IOException {
        Path out = tmp.resolve("out");
        RenderResult result = new HubRenderer().render(KOMODO, RenderOptions.defaults(), out);

        assertThat(result.hubConfigs()).containsExactly(out.resolve("hub.conf"));
        for (var agent : KOMODO.agents()) {
            assertThat(HubLayout.leafConf(out, agent.id())).isRegularFile();
            assertThat(HubLayout.agentSeed(out, agent.id())).isRegularFile();
            assertThat(HubLayout.agentIdentity(out, agent.id())).isRegularFile();
        }
        assertThat(HubLayout.humanSeed(out, "board")).isRegularFile();
        for (HubService service : HubService.values()) {
            assertThat(HubLayout.serviceSeed(out, "komodo-ai", service)).isRegularFile();
        }
        assertThat(HubLayout.systemSeed(out)).isRegularFile();

        List<Path> secrets = new ArrayList<>();
        try (Stream<Path> files = Files.walk(out)) {
            files.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().endsWith(".json"))
                    .forEach(secrets::add);
        }
        assertThat(secrets).hasSizeGreaterThan(20);
        for (Path file : secrets) {
            assertThat(mode(file)).as("mode of %s", file).isEqualTo("rw-------");
        }
        try (Stream<Path> dirs = Files.walk(out)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                assertThat(mode(dir)).as("mode of %s", dir).isEqualTo("rwx------");
            }
        }
        String seed = Files.readString(HubLayout.agentSeed(out, "cto-athena")).strip();
        assertThat(seed).startsWith("SU").hasSize(58);
    }

    @Test
    void hubConfigHoldsNoSecretAndNoNoAuthUser() throws IOException {
        Path out = tmp.resolve("out");
        new HubRenderer().render(List.of(KOMODO, RIVAL), RenderOptions.defaults(), out);
        String hub = Files.readString(HubLayout.hubConf(out));

        assertThat(hub).doesNotContain("no_auth_user");
        assertThat(hub).contains("KOMODO_AI {", "RIVAL_LABS {", "system_account: \"SYS\"", "domain: \"hub\"");
        try (Stream<Path> keys = Files.walk(HubLayout.keysDir(out))) {
            for (Path key : keys.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".bcrypt"))
                    .toList()) {
                assertThat(hub).as("hub.conf must not contain %s", key.getFileName())
                        .doesNotContain(Files.readString(key).strip());
            }
        }
        String leaf = Files.readString(HubLayout.leafConf(out, "cto-athena"));
        assertThat(leaf).contains("listen: \"127.0.0.1:4222\"", "komodo-ai.cto-athena:")
                .contains("@komodo-ai-nats-hub.internal:7422").doesNotContain("no_auth_user")
                .doesNotContain("jetstream");
    }

    @Test
    void renderingAgainKeepsEveryCredentialAndEveryByte() throws IOException {
        Path out = tmp.resolve("out");
        new HubRenderer().render(List.of(KOMODO, RIVAL), RenderOptions.defaults(), out);
        Map<Path, String> first = snapshot(out);
        new HubRenderer().render(List.of(KOMODO, RIVAL), RenderOptions.defaults(), out);

        assertThat(snapshot(out)).isEqualTo(first);
    }

    @Test
    void hubUrlFromEnvironmentOverridesTheOrgFile() throws IOException {
        Path out = tmp.resolve("out");
        RenderResult result = new HubRenderer().render(KOMODO,
                RenderOptions.defaults().withEnv(Map.of(HubRenderer.HUB_URL_ENV, "hub.example.net:7422")), out);

        assertThat(result.agent("cto-athena").hubLeafUrl()).isEqualTo("nats-leaf://hub.example.net:7422");
        assertThat(Files.readString(HubLayout.leafConf(out, "cto-athena"))).contains("@hub.example.net:7422\"");
        assertThat(Files.readString(HubLayout.agentIdentity(out, "cto-athena")))
                .contains("\"hub_leaf_url\" : \"nats-leaf://hub.example.net:7422\"")
                .contains("\"inbox_prefix\" : \"_INBOX.cto-athena\"");
    }

    @Test
    void clientPortInTheEnvironmentIsRefusedBeforeAnythingIsWritten() {
        Path out = tmp.resolve("out");
        RenderOptions options = RenderOptions.defaults()
                .withEnv(Map.of(HubRenderer.HUB_URL_ENV, "nats-leaf://komodo-ai-nats-hub.internal:4222"));

        assertThatThrownBy(() -> new HubRenderer().render(KOMODO, options, out))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ORG_BAD_HUB_URL))
                .hasMessageContaining(HubRenderer.HUB_URL_ENV).hasMessageContaining("4222")
                .hasMessageContaining("7422");
        assertThat(out).doesNotExist();
    }

    @Test
    void clientPortInTheOrgFileIsRefusedBeforeAnythingIsWritten() {
        Path out = tmp.resolve("out");

        assertThatThrownBy(
                () -> new HubRenderer().render(resource("orgs/client-port.yaml"), RenderOptions.defaults(), out))
                .isInstanceOf(OrgmeshException.class).hasMessageContaining("hub.url").hasMessageContaining("7422");
        assertThat(out).doesNotExist();
    }

    @Test
    void invalidOrgRendersNothing() throws IOException {
        Path org = tmp.resolve("bad.yaml");
        Files.writeString(org, """
                company: bad-co
                teams: { core: { name: Core } }
                humans: [ { id: boss, name: Boss } ]
                agents: [ { id: solo, name: Solo, role: role-solo, team: nowhere, reports_to: bos } ]
                """);
        Path out = tmp.resolve("out");

        assertThatThrownBy(() -> new HubRenderer().render(org, RenderOptions.defaults(), out))
                .isInstanceOf(OrgmeshException.class).hasMessageContaining("nowhere");
        assertThat(out).doesNotExist();
    }

    @Test
    void clashingCompaniesAndMembersAreRefused() {
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> new HubRenderer().render(List.of(KOMODO, KOMODO), RenderOptions.defaults(), out))
                .isInstanceOf(OrgmeshException.class).hasMessageContaining("company 'komodo-ai' is given twice");
        Org copycat = OrgLoader.parse("""
                company: copycat
                teams: { exec: { name: Exec } }
                humans: [ { id: owner, name: Owner } ]
                agents: [ { id: cto-athena, name: Athena II, role: role-cto, team: exec, reports_to: owner } ]
                """, "copycat.yaml");
        assertThatThrownBy(() -> new HubRenderer().render(List.of(KOMODO, copycat), RenderOptions.defaults(), out))
                .hasMessageContaining("member id 'cto-athena' is used by both komodo-ai and copycat");
        assertThatThrownBy(() -> new HubRenderer().render(KOMODO,
                RenderOptions.defaults().withLeafPorts(Map.of("nobody", 4333)), out))
                .hasMessageContaining("unknown agent 'nobody'");
        assertThat(out).doesNotExist();
    }

    @Test
    void everyRenderedConfigPassesNatsServerCheck() throws Exception {
        Path out = tmp.resolve("out");
        RenderResult single = new HubRenderer().render(List.of(KOMODO, RIVAL), RenderOptions.defaults(), out);
        assertValid(single.hubConfigs().getFirst());
        for (var agent : single.agents().values()) {
            assertValid(agent.leafConf());
        }

        Path clustered = tmp.resolve("cluster");
        ClusterOptions cluster = new ClusterOptions("orgmesh-hub",
                List.of(new ClusterOptions.Node("hub-a", "127.0.0.1", 14222, 16222, 17422, 18222),
                        new ClusterOptions.Node("hub-b", "127.0.0.1", 24222, 26222, 27422, 28222),
                        new ClusterOptions.Node("hub-c", "127.0.0.1", 34222, 36222, 37422, 38222)));
        RenderResult result = new HubRenderer().render(KOMODO, RenderOptions.defaults().withCluster(cluster),
                clustered);
        assertThat(result.hubConfigs()).hasSize(3);
        for (Path conf : result.hubConfigs()) {
            assertValid(conf);
            assertThat(Files.readString(conf)).contains("routes: [", "nats-route://route:");
        }
    }

    @Test
    void tlsIsRenderedForEveryListenerAndTheLeafRemote() throws IOException {
        Path out = tmp.resolve("out");
        TlsOptions tls = new TlsOptions("/etc/nats/hub.pem", "/etc/nats/hub-key.pem", "/etc/nats/ca.pem", true,
                "/etc/orgmesh/ca.pem", "/etc/orgmesh/leaf.pem", "/etc/orgmesh/leaf-key.pem");
        new HubRenderer().render(KOMODO, RenderOptions.defaults().withTls(tls), out);

        String hub = Files.readString(HubLayout.hubConf(out));
        assertThat(hub.split("tls \\{", -1)).hasSize(3);
        assertThat(hub).contains("cert_file: \"/etc/nats/hub.pem\"", "verify: true");
        assertThat(Files.readString(HubLayout.leafConf(out, "cto-athena"))).contains("tls {",
                "ca_file: \"/etc/orgmesh/ca.pem\"", "cert_file: \"/etc/orgmesh/leaf.pem\"");
        assertThat(Files.readString(HubLayout.operatorContext(out, "komodo-ai")))
                .contains("\"url\" : \"tls://komodo-ai-nats-hub.internal:4222\"");
    }

    static void assertValid(Path conf) throws Exception {
        Process p = new ProcessBuilder(NatsServerBinary.path().toString(), "-t", "-c", conf.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("nats-server -t %s: %s", conf, output).isZero();
        assertThat(output).contains("is valid");
    }

    static Map<Path, String> snapshot(Path dir) throws IOException {
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(f), Files.readString(f) + "|" + mode(f) + "|"
                        + Files.getLastModifiedTime(f).toMillis());
            }
        }
        return files;
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    static Path resource(String name) {
        try {
            return Path.of(HubRendererTest.class.getClassLoader().getResource(name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
