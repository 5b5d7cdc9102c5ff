package dev.orgmesh.vault.backend;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orgmesh.testkit.FreePorts;

/**
 * A real Vault-compatible server for tests: OpenBao's {@code bao server -dev} as its own process, in memory, unsealed,
 * with KV v2 mounted at {@code secret/}, on 127.0.0.1 and a free port, with a random root token. It is the OpenBao
 * release pinned in {@code deploy/openbao/versions.properties}, which {@code deploy/openbao/install} puts into
 * orgmesh's cache ({@code .ci/run} does that first; a build without it runs the script here, once).
 *
 * <p>{@link #start()} waits, bounded, until {@code /v1/sys/health} answers 200 (active and unsealed). The methods
 * that arrange the server's state (secrets, policies, tokens, AppRole, sealing) speak Vault's HTTP API with the JDK
 * client and the root token, independently of the client under test. The server's log, which holds its dev root
 * token and unseal key, stays in a temp dir deleted by {@link #close()}.
 */
final class OpenBaoServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path log;
    private final Process process;
    private final Thread reaper;
    private final String url;
    private final String rootToken;
    private final HttpClient http = HttpClient.newHttpClient();

    private OpenBaoServer(Path dir, Path log, Process process, Thread reaper, int port, String rootToken) {
        this.dir = dir;
        this.log = log;
        this.process = process;
        this.reaper = reaper;
        this.url = "http://" + FreePorts.HOST + ":" + port;
        this.rootToken = rootToken;
    }

    /**
     * Starts a dev server and waits until it is active. A port taken between allocation and bind (its API port or
     * the cluster port after it) is retried on other ports.
     */
    static OpenBaoServer start() throws IOException {
        Path bao = binary();
        IllegalStateException last = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            try {
                return start(bao, FreePorts.next());
            } catch (PortTaken e) {
                last = e;
            }
        }
        throw new IllegalStateException("OpenBao could not bind a port in " + START_ATTEMPTS + " attempts", last);
    }

    private static OpenBaoServer start(Path bao, int port) throws IOException {
        String token = "root-" + UUID.randomUUID();
        Path dir = Files.createTempDirectory("orgmesh-openbao-");
        Path log = dir.resolve("bao.log");
        ProcessBuilder builder = new ProcessBuilder(bao.toString(), "server", "-dev", "-dev-root-token-id=" + token,
                "-dev-listen-address=" + FreePorts.HOST + ":" + port, "-dev-no-store-token").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        // Nothing from the caller's environment steers the server (BAO_*/VAULT_* addresses, tokens, a config).
        builder.environment().keySet().removeIf(k -> k.startsWith("BAO_") || k.startsWith("VAULT_"));
        builder.environment().put("HOME", dir.toString());
        Process process = builder.start();
        Thread reaper = new Thread(process::destroyForcibly, "openbao-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        OpenBaoServer server = new OpenBaoServer(dir, log, process, reaper, port, token);
        try {
            await("OpenBao active on port " + port).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptionsInstanceOf(IOException.class).until(() -> {
                        if (!process.isAlive()) {
                            String tail = server.tail();
                            if (tail.contains("address already in use")) {
                                throw new PortTaken(port);
                            }
                            throw new IllegalStateException("OpenBao exited with " + process.exitValue() + ": "
                                    + tail);
                        }
                        return server.send("GET", "/v1/sys/health", null, null).statusCode() == 200;
                    });
        } catch (RuntimeException e) {
            server.close();
            if (e instanceof PortTaken || e.getCause() instanceof PortTaken) {
                throw e instanceof PortTaken p ? p : (PortTaken) e.getCause();
            }
            throw e;
        }
        return server;
    }

    /** The pinned {@code bao}, put into the cache by {@code deploy/openbao/install} if it is not there yet. */
    private static Path binary() throws IOException {
        Path script = null;
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("deploy").resolve("openbao").resolve("install");
            if (Files.isRegularFile(candidate)) {
                script = candidate;
                break;
            }
        }
        if (script == null) {
            throw new IllegalStateException("no deploy/openbao/install above " + System.getProperty("user.dir")
                    + ": run the tests from an orgmesh checkout");
        }
        Path err = Files.createTempFile("orgmesh-openbao-install-", ".log");
        try {
            Process p = new ProcessBuilder("bash", script.toString()).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || out.isEmpty()) {
                p.destroyForcibly();
                throw new IllegalStateException(script + " could not provide OpenBao: "
                        + Files.readString(err, StandardCharsets.UTF_8).strip());
            }
            List<String> lines = out.lines().toList();
            return Path.of(lines.getLast());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script, e);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** {@code http://127.0.0.1:{port}}. */
    String url() {
        return url;
    }

    /** The dev root token; only the test's arrangements use it. */
    String rootToken() {
        return rootToken;
    }

    /** Writes a new version of the KV v2 secret {@code secret/data/<path>}; returns the version Vault gave it. */
    int put(String path, Map<String, String> data) {
        return call("POST", "/v1/secret/data/" + path, Map.of("data", data)).path("data").path("version").asInt();
    }

    /** Creates or replaces an ACL policy. */
    void policy(String name, String hcl) {
        call("PUT", "/v1/sys/policies/acl/" + name, Map.of("policy", hcl));
    }

    /** A new token with these policies (and no default policy); returns it. */
    String token(String... policies) {
        return call("POST", "/v1/auth/token/create", Map.of("policies", List.of(policies), "no_default_policy", true,
                "ttl", "1h")).path("auth").path("client_token").asText();
    }

    /** Enables AppRole, creates role {@code role} with these policies, and returns its role id and a secret id. */
    String[] appRole(String role, String... policies) {
        call("POST", "/v1/sys/auth/approle", Map.of("type", "approle"));
        call("POST", "/v1/auth/approle/role/" + role, Map.of("token_policies", List.of(policies), "token_ttl", "1h"));
        String roleId = call("GET", "/v1/auth/approle/role/" + role + "/role-id", null).path("data").path("role_id")
                .asText();
        String secretId = call("POST", "/v1/auth/approle/role/" + role + "/secret-id", Map.of()).path("data")
                .path("secret_id").asText();
        return new String[]{roleId, secretId};
    }

    /** Seals the server: from then on every secret request is answered 503. */
    void seal() {
        call("PUT", "/v1/sys/seal", null);
    }

    private JsonNode call(String method, String path, Object body) {
        try {
            HttpResponse<String> r = send(method, path, body == null ? null : JSON.writeValueAsString(body),
                    rootToken);
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        }
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Vault-Token", token);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        http.close();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        Runtime.getRuntime().removeShutdownHook(reaper);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** The server exited because its port (or the cluster port after it) was taken. */
    private static final class PortTaken extends IllegalStateException {
        PortTaken(int port) {
            super("port " + port + " or " + (port + 1) + " was taken");
        }
    }
}
