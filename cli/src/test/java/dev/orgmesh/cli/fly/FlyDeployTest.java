package dev.orgmesh.cli.fly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.orgmesh.cli.DeployCommand;
import dev.orgmesh.cli.OrgmeshCommand;
import dev.orgmesh.protocol.nats.NatsRelease;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine;

/**
 * {@code orgmesh deploy fly} on the example org: the generated {@code fly.toml} files are TOML (a real parser) and agree
 * with each other, with the rendered hub and leaf configs, with the Dockerfiles' targets and with the CI workflow that
 * builds them; {@code --dry-run} writes nothing; no secret is ever printed; a bad org writes nothing.
 */
class FlyDeployTest {
    static final Path EXAMPLE = Path.of("..", "examples", "komodo-ai.yaml");
    static final Path DOCKER = Path.of("..", "deploy", "docker");
    static final Path WORKFLOW = Path.of("..", ".github", "workflows", "native.yml");
    static final String HUB = "komodo-ai-nats-hub";
    static final String HUB_LEAF_URL = "nats-leaf://komodo-ai-nats-hub.internal:7422";

    record Run(int status, String out, String err) {
    }

    /** Runs the real command line, with DeployCommand registered as OrgmeshCommand will have it. */
    static Run run(String... args) {
        CommandLine cl = OrgmeshCommand.commandLine();
        if (!cl.getSubcommands().containsKey("deploy")) {
            cl.addSubcommand("deploy", new DeployCommand());
        }
        cl.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static Run deploy(Path out, Path store, String... extra) {
        List<String> args = new ArrayList<>(List.of("deploy", "fly", EXAMPLE.toString(), "--out", out.toString(),
                "--region", "fra", "--vault-store", store.toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void flyTomlsParseAndAgreeWithEachOtherTheRenderAndTheImages(boolean jvm, @TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path store = Files.writeString(dir.resolve("vault.store"), "{\"encrypted\":true}\n");
        Run r = jvm ? deploy(out, store, "--jvm") : deploy(out, store);
        assertThat(r.status()).as(r.err()).isZero();

        Org org = OrgLoader.load(EXAMPLE);
        Set<String> expected = new LinkedHashSet<>(List.of(HUB, "komodo-ai-hub-bootstrap", "komodo-ai-heartbeat",
                "komodo-ai-vault-bridge"));
        org.agents().forEach(a -> expected.add("komodo-ai-" + a.id()));
        Map<String, JsonNode> apps = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(out)) {
            for (Path d : dirs.filter(p -> Files.isRegularFile(p.resolve("fly.toml"))).toList()) {
                apps.put(d.getFileName().toString(), new TomlMapper().readTree(d.resolve("fly.toml").toFile()));
            }
        }
        assertThat(apps.keySet()).containsExactlyInAnyOrderElementsOf(expected);

        Map<String, Set<String>> dockerTargets = Map.of("native", stages(DOCKER.resolve("Dockerfile.native")), "jvm",
                stages(DOCKER.resolve("Dockerfile.jvm")));
        JsonNode matrix = new YAMLMapper().readTree(WORKFLOW.toFile()).path("jobs").path("images").path("strategy")
                .path("matrix");
        Set<String> built = new LinkedHashSet<>();
        matrix.path("target").forEach(t -> built.add(t.asText()));
        Set<String> excluded = new LinkedHashSet<>();
        matrix.path("exclude").forEach(e -> excluded.add(e.path("flavor").asText() + "/" + e.path("target").asText()));

        String hubConf = Files.readString(out.resolve("render").resolve("hub.conf"));
        Pattern image = Pattern.compile("ghcr\\.io/orgmesh/orgmesh-([a-z-]+):main(-jvm)?");
        for (Map.Entry<String, JsonNode> e : apps.entrySet()) {
            String name = e.getKey();
            JsonNode app = e.getValue();
            assertThat(app.path("app").asText()).isEqualTo(name);
            assertThat(app.path("primary_region").asText()).isEqualTo("fra");
            assertThat(app.has("services") || app.has("http_service")).as(name + " exposes nothing publicly")
                    .isFalse();

            // The image is a target of the Dockerfile of its flavor, and the workflow builds that target.
            Matcher m = image.matcher(app.path("build").path("image").asText());
            assertThat(m.matches()).as(name + " image " + app.path("build").path("image")).isTrue();
            String target = m.group(1);
            String flavor = m.group(2) == null ? "native" : "jvm";
            assertThat(flavor).as(name).isEqualTo(jvm && !name.equals(HUB) ? "jvm" : "native");
            assertThat(dockerTargets.get(flavor)).as("targets of Dockerfile." + flavor).contains(target);
            assertThat(built).as("images built by native.yml").contains(target);
            assertThat(excluded).doesNotContain(flavor + "/" + target);

            // Every app has a health check, on the port its process listens on.
            JsonNode checks = app.path("checks");
            assertThat(checks.size()).as(name + " checks").isPositive();
            JsonNode env = app.path("env");
            for (JsonNode check : checks) {
                assertThat(check.path("type").asText()).isEqualTo("http");
                if (name.equals(HUB)) {
                    assertThat(check.path("path").asText()).isEqualTo("/healthz");
                    assertThat(hubConf).contains("http: \"0.0.0.0:" + check.path("port").asInt() + "\"");
                } else {
                    assertThat(check.path("path").asText()).isEqualTo("/q/health/ready");
                    assertThat(check.path("port").asText()).isEqualTo(env.path("QUARKUS_HTTP_PORT").asText());
                    // Fly's checks connect to 0.0.0.0 (IPv4 wildcard), not to 127.0.0.1.
                    assertThat(env.path("QUARKUS_HTTP_HOST").asText()).isEqualTo("0.0.0.0");
                }
            }

            // Every file Fly uploads exists where fly.toml says.
            for (JsonNode f : app.path("files")) {
                assertThat(Path.of(f.path("local_path").asText())).as(name + " " + f).isRegularFile();
            }

            // Never the hub's client port for a leaf; hub services use it, agents only the leafnode port.
            env.fields().forEachRemaining(v -> assertThat(v.getValue().asText()).as(name + " " + v.getKey())
                    .doesNotMatch("nats-leaf://.*:4222.*"));
        }

        JsonNode hub = apps.get(HUB);
        assertThat(hub.path("mounts").path("destination").asText()).isEqualTo("/data");
        assertThat(hub.path("files").get(0).path("guest_path").asText()).isEqualTo(FlyPlan.HUB_CONF_GUEST);
        assertThat(hubConf).contains("store_dir: \"/data/jetstream\"")
                .containsPattern("leafnodes \\{\\s+listen: \"\\[::\\]:7422\"")
                .contains("listen: \"[::]:4222\"");
        assertThat(apps.get("komodo-ai-hub-bootstrap").path("deploy").path("release_command").asText())
                .contains("-Dorgmesh.bootstrap.release-only=true");
        for (String service : List.of("komodo-ai-hub-bootstrap", "komodo-ai-heartbeat", "komodo-ai-vault-bridge")) {
            assertThat(apps.get(service).path("env").path("ORGMESH_NATS_URL").asText())
                    .isEqualTo("nats://komodo-ai-nats-hub.internal:4222");
        }

        for (Agent a : org.agents()) {
            JsonNode env = apps.get("komodo-ai-" + a.id()).path("env");
            assertThat(env.path("KOMODO_NATS_HUB").asText()).isEqualTo(HUB_LEAF_URL);
            assertThat(env.path("ORGMESH_AGENT_HUB_URL").asText()).isEqualTo(HUB_LEAF_URL);
            assertThat(env.path("ORGMESH_AGENT_ID").asText()).isEqualTo(a.id());
            assertThat(env.path("ORGMESH_NATS_URL").asText()).isEqualTo("nats://127.0.0.1:4222");
            assertThat(env.path("ORGMESH_NATS_DOMAIN").asText()).isEqualTo("hub");

            // The leaf the machine runs dials the hub's leafnode port on the private network, as its agent's user.
            Path agentDir = out.resolve("render").resolve("agents").resolve(a.id());
            String leaf = Files.readString(agentDir.resolve("leaf.conf"));
            Matcher remote = Pattern.compile("url: \"nats-leaf://([^:@\"]+):[^@\"]+@([^\"]+)\"").matcher(leaf);
            assertThat(remote.find()).as(leaf).isTrue();
            assertThat(remote.group(1)).isEqualTo("komodo-ai." + a.id());
            assertThat(remote.group(2)).isEqualTo(HUB + ".internal:7422");
            assertThat(leaf).contains("listen: \"127.0.0.1:4222\"");

            // Its fly secrets file is private and carries exactly the leaf config and the seed, base64.
            Path env2 = agentDir.resolve("leaf.env");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(env2))).isEqualTo("rw-------");
            Map<String, String> secrets = envFile(env2);
            assertThat(secrets.keySet()).containsExactly(FlyPlan.SECRET_LEAF_CONF, FlyPlan.SECRET_AGENT_SEED);
            assertThat(Base64.getDecoder().decode(secrets.get(FlyPlan.SECRET_LEAF_CONF)))
                    .isEqualTo(Files.readAllBytes(agentDir.resolve("leaf.conf")));
            assertThat(Base64.getDecoder().decode(secrets.get(FlyPlan.SECRET_AGENT_SEED)))
                    .isEqualTo(Files.readAllBytes(agentDir.resolve("user.nk")));
        }
        Path bootstrapEnv = out.resolve("render/services/komodo-ai/hub-bootstrap.env");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(bootstrapEnv))).isEqualTo("rw-------");
        assertThat(envFile(bootstrapEnv)).containsOnlyKeys(FlyPlan.SECRET_NATS_SEED);

        // No fly.toml, no printed line, holds a secret.
        Set<String> secrets = secrets(out);
        assertThat(secrets).isNotEmpty();
        for (String name : apps.keySet()) {
            assertNoSecret(Files.readString(out.resolve(name).resolve("fly.toml")), secrets);
        }
        assertNoSecret(r.out() + r.err(), secrets);
        assertNoSecret(Files.readString(out.resolve("DEPLOY.txt")), secrets);
    }

    @Test
    void commandsRunInOrderHubFirstThenBootstrapServicesAgents(@TempDir Path dir) {
        Run r = deploy(dir.resolve("out"), dir.resolve("vault.store"), "--dry-run");
        assertThat(r.status()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        int volume = index(lines, "fly volumes create jetstream --app " + HUB + " --region fra");
        int hub = index(lines, "fly deploy --config " + dir.resolve("out").resolve(HUB).resolve("fly.toml"));
        int bootstrapSecrets = index(lines, "fly secrets import --stage --app komodo-ai-hub-bootstrap <");
        int bootstrap = index(lines, "fly deploy --config " + dir.resolve("out/komodo-ai-hub-bootstrap/fly.toml"));
        int heartbeat = index(lines, "fly deploy --config " + dir.resolve("out/komodo-ai-heartbeat/fly.toml"));
        int vault = index(lines, "fly deploy --config " + dir.resolve("out/komodo-ai-vault-bridge/fly.toml"));
        int leafSecrets = index(lines, "fly secrets import --stage --app komodo-ai-cto-athena < "
                + dir.resolve("out/render/agents/cto-athena/leaf.env"));
        int agent = index(lines, "fly deploy --config " + dir.resolve("out/komodo-ai-cto-athena/fly.toml"));
        assertThat(List.of(volume, hub, bootstrapSecrets, bootstrap, heartbeat, vault, leafSecrets, agent))
                .isSorted().doesNotContain(-1);
        assertThat(r.out()).as("agents fetch their own secrets from vault-bridge at boot")
                .doesNotContain("secrets export").contains("fetches them from vault-bridge at boot")
                .contains("printf 'ORGMESH_VAULT_MASTER_KEY=%s\\n' \"$ORGMESH_VAULT_MASTER_KEY\"");
    }

    @Test
    void dryRunWritesNothingAndNoOutputEverShowsASecret(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path store = Files.writeString(dir.resolve("vault.store"), "{}\n");
        Run real = deploy(out, store);
        assertThat(real.status()).as(real.err()).isZero();
        Set<String> secrets = secrets(out);
        assertNoSecret(real.out() + real.err(), secrets);

        // Into a directory that does not exist: it still does not exist afterwards.
        Path fresh = dir.resolve("fresh");
        Run dry = deploy(fresh, store, "--dry-run");
        assertThat(dry.status()).as(dry.err()).isZero();
        assertThat(fresh).doesNotExist();
        assertThat(dry.out()).contains("dry run: nothing is written").contains("app = \"" + HUB + "\"")
                .contains("fly volumes create");
        assertNoSecret(dry.out() + dry.err(), secrets);

        // Over an existing render: not one byte or mode changes, and none of its secrets is printed.
        Map<String, String> before = snapshot(dir);
        Run again = deploy(out, store, "--dry-run");
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(snapshot(dir)).isEqualTo(before);
        assertNoSecret(again.out() + again.err(), secrets);
        for (FlyPlan.App app : FlyPlan.of(EXAMPLE, new FlyOptions(null, "fra", out, dir, "ghcr.io/orgmesh", "main",
                false, store)).apps()) {
            assertThat(again.out()).contains(app.flyToml());
        }
    }

    @Test
    void aBadOrgIsOneClearErrorAndWritesNothing(@TempDir Path dir) throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "company: x\nagents: [ { id: A.B } ]\n");
        Path out = dir.resolve("out");
        Run invalid = run("deploy", "fly", bad.toString(), "--out", out.resolve("a").toString());
        assertThat(invalid.status()).isEqualTo(1);
        assertThat(invalid.err()).contains("agents[0].id").contains("nothing written").doesNotContain("Exception");
        assertThat(out.resolve("a")).doesNotExist();

        Run missing = run("deploy", "fly", dir.resolve("nope.yaml").toString(), "--out", out.resolve("b").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).startsWith("orgmesh: org file not found").doesNotContain("Exception");
        assertThat(out.resolve("b")).doesNotExist();

        // A valid org whose agent would take a service's app name (the services' own names, such as heartbeat, are
        // refused as member ids by the org loader already: the sender names of ADR 0010).
        Path clash = Files.writeString(dir.resolve("clash.yaml"), """
                company: acme
                teams: { ops: { name: Ops } }
                humans: [ { id: boss, name: Boss } ]
                agents:
                  - { id: nats-hub, name: H, role: role-ops, team: ops, reports_to: boss }
                """);
        Run clashing = run("deploy", "fly", clash.toString(), "--out", out.resolve("c").toString());
        assertThat(clashing.status()).isEqualTo(1);
        assertThat(clashing.err()).contains("agent 'nats-hub' would be Fly app 'acme-nats-hub'")
                .contains("nothing written").doesNotContain("Exception");
        assertThat(out.resolve("c")).doesNotExist();

        Run region = run("deploy", "fly", EXAMPLE.toString(), "--out", out.resolve("d").toString(), "--region",
                "Frankfurt");
        assertThat(region.status()).isEqualTo(2);
        assertThat(region.err()).contains("--region 'Frankfurt' is not a Fly region code");
        assertThat(out.resolve("d")).doesNotExist();
    }

    @Test
    void renderingAgainChangesNothing(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path store = Files.writeString(dir.resolve("vault.store"), "{}\n");
        assertThat(deploy(out, store).status()).isZero();
        Map<String, String> first = snapshot(out);
        assertThat(deploy(out, store).status()).isZero();
        assertThat(snapshot(out)).isEqualTo(first);
    }

    @Test
    void imagesScriptsAndWorkflowAgreeWithThePlan() throws IOException {
        String nativeFile = Files.readString(DOCKER.resolve("Dockerfile.native"));
        String jvmFile = Files.readString(DOCKER.resolve("Dockerfile.jvm"));
        String workflow = Files.readString(WORKFLOW);
        String entrypoint = Files.readString(DOCKER.resolve("bin").resolve("orgmesh-entrypoint"));
        for (String f : List.of(nativeFile, jvmFile)) {
            // The port and address the fly.toml checks use, also as the images' defaults.
            assertThat(f).contains("QUARKUS_HTTP_PORT=" + FlyPlan.HTTP_PORT).contains("QUARKUS_HTTP_HOST=0.0.0.0")
                    // hub-bootstrap's release command runs this script.
                    .contains("/usr/local/bin/orgmesh-app")
                    .contains("ENTRYPOINT [\"/usr/local/bin/orgmesh-entrypoint\"]");
        }
        assertThat(nativeFile).contains("CMD [\"--config\", \"" + FlyPlan.HUB_CONF_GUEST + "\"]");
        // Every secret a fly secrets file carries is turned into a file by the entrypoint, where fly.toml points.
        assertThat(entrypoint).contains(FlyPlan.SECRET_NATS_SEED + " \"${ORGMESH_NATS_CREDS:-}\"")
                .contains(FlyPlan.SECRET_LEAF_CONF + " \"${ORGMESH_LEAF_CONF:-}\"")
                .contains(FlyPlan.SECRET_AGENT_SEED + " \"${ORGMESH_AGENT_SEED:-}\"")
                .contains("ORGMESH_VAULT_STORE_SOURCE").contains("ORGMESH_VAULT_STORE_PATH");

        // One pinned, current nats-server everywhere (ADR 0001: not 2.9): the versions file names it, the workflow
        // reads that file, and both Dockerfiles' defaults equal it.
        Pattern version = Pattern.compile("ARG NATS_SERVER_VERSION=([0-9]+\\.[0-9]+\\.[0-9]+)");
        for (String f : List.of(nativeFile, jvmFile)) {
            Matcher m = version.matcher(f);
            assertThat(m.find()).isTrue();
            assertThat(m.group(1)).isEqualTo(NatsRelease.PINNED.toString());
        }
        assertThat(workflow).contains("deploy/nats/versions.properties").contains("deploy/nats/install")
                .doesNotContainPattern("NATS_SERVER_VERSION:\\s*\"?[0-9]");
        assertThat(NatsRelease.PINNED.atLeast(NatsRelease.MINIMUM)).isTrue();
    }

    // ---- helpers ----

    /** Every secret a render holds: NKey seeds, leaf passwords, and their base64 forms as the env files carry them. */
    static Set<String> secrets(Path out) throws IOException {
        Set<String> found = new LinkedHashSet<>();
        try (Stream<Path> files = Files.walk(out.resolve("render"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".nk") || name.endsWith(".leaf-password") || name.equals("leaf.conf")) {
                    String text = Files.readString(f);
                    if (!name.equals("leaf.conf")) {
                        found.add(text.trim());
                    }
                    found.add(Base64.getEncoder().encodeToString(Files.readAllBytes(f)));
                }
                if (name.endsWith(".env")) {
                    found.addAll(envFile(f).values());
                }
            }
        }
        return found;
    }

    static void assertNoSecret(String text, Set<String> secrets) {
        for (String s : secrets) {
            assertThat(text).as("printed or written text").doesNotContain(s);
        }
    }

    static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            assertThat(eq).as(file + ": NAME=VALUE lines only").isPositive();
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    /** The stage names of a Dockerfile ({@code FROM image AS name}). */
    static Set<String> stages(Path dockerfile) throws IOException {
        Set<String> s = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?im)^FROM\\s+\\S+\\s+AS\\s+(\\S+)\\s*$").matcher(Files.readString(dockerfile));
        while (m.find()) {
            s.add(m.group(1));
        }
        return s;
    }

    static int index(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    /** Path → mode and SHA-256 of every file and directory under {@code root}. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                m.put(root.relativize(p).toString(), mode + (Files.isRegularFile(p) ? " " + sha256(p) : "/")
                        + " " + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m;
    }

    static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
