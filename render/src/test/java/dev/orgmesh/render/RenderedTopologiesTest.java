package dev.orgmesh.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.testkit.NatsServer;

/** The optional render shapes, started for real: a TLS hub with a verified leaf, and a three-node hub cluster. */
class RenderedTopologiesTest {
    static final Org KOMODO = OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml"));
    static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path tmp;

    @Test
    void aLeafDialsATlsHubWithItsCertificateAndALeafWithoutOneIsTurnedAway() throws Exception {
        Path pki = Files.createDirectories(tmp.resolve("pki"));
        assertThat(makePki(pki)).as("openssl makes the test certificates (Debian: apt-get install openssl)").isTrue();
        int client = FreePorts.next();
        int leafnode = FreePorts.next();
        int monitor = FreePorts.next();
        int leafPort = FreePorts.next();
        TlsOptions tls = new TlsOptions(pki.resolve("hub.pem").toString(), pki.resolve("hub-key.pem").toString(),
                pki.resolve("ca.pem").toString(), true, pki.resolve("ca.pem").toString(),
                pki.resolve("leaf.pem").toString(), pki.resolve("leaf-key.pem").toString());
        RenderResult rendered = new HubRenderer().render(KOMODO,
                RenderOptions.defaults().withClient("127.0.0.1", client).withLeafnode("127.0.0.1", leafnode)
                        .withMonitor("127.0.0.1", monitor).withLeafPorts(Map.of("cto-athena", leafPort))
                        .withEnv(Map.of(HubRenderer.HUB_URL_ENV, "nats-leaf://127.0.0.1:" + leafnode)).withTls(tls),
                tmp.resolve("out"));

        try (NatsServer hub = NatsServer.fromConfigFile(rendered.hubConfigs().getFirst()).clientPort(client)
                .monitorPort(monitor).start();
                NatsServer leaf = NatsServer.start(rendered.agent("cto-athena").leafConf(), leafPort)) {
            await().atMost(WAIT).until(() -> leafAccounts(monitor).equals(List.of("KOMODO_AI")));

            Path anonymousConf = tmp.resolve("anonymous-leaf.conf");
            int anonymousPort = FreePorts.next();
            Files.writeString(anonymousConf, "listen: \"127.0.0.1:" + anonymousPort + "\"\n"
                    + "leafnodes { remotes = [ { url: \"nats-leaf://127.0.0.1:" + leafnode + "\", tls { ca_file: \""
                    + pki.resolve("ca.pem") + "\" } } ] }\n");
            try (NatsServer anonymous = NatsServer.start(anonymousConf, anonymousPort)) {
                // It keeps trying, but without a client certificate the hub ends every TLS handshake.
                await().atMost(WAIT).until(() -> Files.readString(hub.logFile())
                        .contains("TLS leafnode handshake error: tls: client didn't provide a certificate"));
                assertThat(leafAccounts(monitor)).containsExactly("KOMODO_AI");
            }
        }
    }

    @Test
    void aRenderedThreeNodeClusterFormsAndElectsAJetStreamLeader() throws Exception {
        List<ClusterOptions.Node> nodes = new ArrayList<>();
        for (String name : List.of("hub-a", "hub-b", "hub-c")) {
            nodes.add(new ClusterOptions.Node(name, "127.0.0.1", FreePorts.next(), FreePorts.next(), FreePorts.next(),
                    FreePorts.next()));
        }
        RenderResult rendered = new HubRenderer().render(KOMODO,
                RenderOptions.defaults().withStoreDir(tmp.resolve("js"))
                        .withCluster(new ClusterOptions("orgmesh-hub", nodes)),
                tmp.resolve("out"));

        List<NatsServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < nodes.size(); i++) {
                // Readiness on the client port only: a clustered node reports healthy once a meta leader exists.
                servers.add(
                        NatsServer.fromConfigFile(rendered.hubConfigs().get(i)).clientPort(nodes.get(i).clientPort())
                                .start());
            }
            await().atMost(WAIT).until(() -> nodes.stream().allMatch(n -> routes(n.monitorPort()) == 2));
            await().atMost(WAIT).until(() -> metaLeader(nodes.getFirst().monitorPort()).isPresent());
            assertThat(List.of("hub-a", "hub-b", "hub-c")).contains(metaLeader(nodes.getFirst().monitorPort()).get());
        } finally {
            servers.forEach(NatsServer::close);
        }
    }

    static boolean makePki(Path dir) throws IOException, InterruptedException {
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        String ec = "ec:" + dir.resolve("p256.pem");
        return run(dir, "openssl", "ecparam", "-name", "prime256v1", "-out", "p256.pem")
                && run(dir, "openssl", "req", "-x509", "-newkey", ec, "-nodes", "-keyout", "ca-key.pem", "-out",
                        "ca.pem", "-days", "1", "-subj", "/CN=orgmesh-test-ca")
                && cert(dir, "hub", true) && cert(dir, "leaf", false);
    }

    static boolean cert(Path dir, String name, boolean server) throws IOException, InterruptedException {
        String ec = "ec:" + dir.resolve("p256.pem");
        List<String> sign = new ArrayList<>(List.of("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", name + ".pem", "-days", "1"));
        if (server) {
            sign.addAll(List.of("-extfile", "san.ext"));
        }
        return run(dir, "openssl", "req", "-newkey", ec, "-nodes", "-keyout", name + "-key.pem", "-out", name + ".csr",
                "-subj", "/CN=" + name) && run(dir, sign.toArray(String[]::new));
    }

    static boolean run(Path dir, String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    static List<String> leafAccounts(int monitorPort) {
        return get(monitorPort, "/leafz").map(body -> Pattern.compile("\"account\"\\s*:\\s*\"([^\"]+)\"")
                .matcher(body).results().map(m -> m.group(1)).toList()).orElse(List.of());
    }

    /**
     * How many other nodes this node has routes to. Not {@code num_routes}: since 2.10 a server opens a pool of
     * routes to each peer (3 by default), and more for pinned accounts, so that counts connections, not peers.
     */
    static int routes(int monitorPort) {
        return get(monitorPort, "/routez").map(body -> {
            Matcher m = Pattern.compile("\"remote_name\"\\s*:\\s*\"([^\"]+)\"").matcher(body);
            Set<String> peers = new HashSet<>();
            while (m.find()) {
                peers.add(m.group(1));
            }
            return peers.size();
        }).orElse(-1);
    }

    static Optional<String> metaLeader(int monitorPort) {
        return get(monitorPort, "/jsz").flatMap(body -> {
            Matcher m = Pattern.compile("\"meta_cluster\"\\s*:\\s*\\{[^{}]*?\"leader\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(body);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        });
    }

    static Optional<String> get(int port, String path) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest
                    .newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
