package dev.orgmesh.agent.artifact;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A real S3-compatible server for tests: S3Proxy (Maven Central {@code org.gaul:s3proxy}) over jclouds' in-memory
 * {@code transient} blobstore, on 127.0.0.1 and a port the server picks, checking every request's AWS signature
 * against one access key pair.
 *
 * <p>It runs as its own {@code java} process from S3Proxy's self-contained {@code jar-with-dependencies} (copied to
 * {@code target/s3proxy/} by the build and named by the {@code s3proxy.jar} system property), as the tests run
 * nats-server: embedded, its ~80 jars (Jetty 11, Guice, jclouds, logback as a second SLF4J provider, netty-tcnative,
 * AWS SDK v1, the Azure SDK) would sit on the class path of a module whose Quarkus tests boot JBoss LogManager and
 * Vert.x; the jar shades Jetty and keeps all of that in its own JVM. Its log (at debug, which names each request) is
 * in a temp dir; {@link #requests()} reads the requests from it.
 */
final class S3ProxyServer implements AutoCloseable {
    /** Region of the test stores; S3Proxy checks signatures for any region. */
    static final String REGION = "us-east-1";

    private static final Pattern STARTED = Pattern.compile("Started ServerConnector@\\S+\\{[^}]*\\}\\{127\\.0\\.0\\.1:"
            + "(\\d+)\\}");
    private static final Pattern REQUEST = Pattern.compile("request: Request\\((\\w+) \\w+://[^/]+(/[^)]*)\\)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final Path log;
    private final Process process;
    private final Thread reaper;
    private final String identity;
    private final String credential;
    private final String endpoint;
    private final S3Client client;

    private S3ProxyServer(Path dir, Path log, Process process, Thread reaper, String identity, String credential,
            int port) {
        this.dir = dir;
        this.log = log;
        this.process = process;
        this.reaper = reaper;
        this.identity = identity;
        this.credential = credential;
        this.endpoint = "http://127.0.0.1:" + port;
        this.client = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.of(REGION))
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create()).credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(identity, credential)))
                // S3Proxy, like other S3-compatible stores, knows neither the SDK's trailing CRC checksums (a signed
                // aws-chunked body whose hash it rejects) nor x-amz-checksum-mode (501): only where S3 requires them
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
    }

    /** Starts S3Proxy accepting requests signed with {@code identity}/{@code credential}; waits until it listens. */
    static S3ProxyServer start(String identity, String credential) throws IOException {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("the system property s3proxy.jar does not name S3Proxy's"
                    + " jar-with-dependencies (" + jar + "); run the tests through Maven, which copies it to"
                    + " agent-runtime/target/s3proxy/");
        }
        Path dir = Files.createTempDirectory("orgmesh-s3proxy-");
        Path properties = dir.resolve("s3proxy.conf");
        Files.writeString(properties, String.join("\n", "s3proxy.endpoint=http://127.0.0.1:0",
                "s3proxy.authorization=aws-v2-or-v4", "s3proxy.identity=" + identity, "s3proxy.credential="
                        + credential,
                "jclouds.provider=transient", "jclouds.identity=unused", "jclouds.credential=unused", ""));
        Path log = dir.resolve("s3proxy.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m", "-XX:TieredStopAtLevel=1", "-jar", jar, "--properties",
                properties
                        .toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("LOG_LEVEL", "debug");
        Process process = builder.start();
        Thread reaper = new Thread(process::destroyForcibly, "s3proxy-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        int[] port = {0};
        try {
            await("S3Proxy listening").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("S3Proxy exited with " + process.exitValue() + ": " + tail(log));
                }
                Matcher m = STARTED.matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
                if (m.find()) {
                    port[0] = Integer.parseInt(m.group(1));
                }
                return port[0] > 0;
            });
        } catch (RuntimeException e) {
            process.destroyForcibly();
            Runtime.getRuntime().removeShutdownHook(reaper);
            throw e;
        }
        return new S3ProxyServer(dir, log, process, reaper, identity, credential, port[0]);
    }

    /** {@code http://127.0.0.1:{port}}. */
    String endpoint() {
        return endpoint;
    }

    String identity() {
        return identity;
    }

    String credential() {
        return credential;
    }

    /** A client of this server with its own credentials, to arrange and check what the store holds. */
    S3Client client() {
        return client;
    }

    void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    void put(String bucket, String key, byte[] content) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    /** The object's bytes, or {@code null} when there is none. */
    byte[] get(String bucket, String key) {
        try {
            return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    /**
     * The requests S3Proxy logged so far, as {@code METHOD /path} (the path as sent, percent-encoded), in order, the
     * test's own {@link #client()} requests included.
     */
    List<String> requests() throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = REQUEST.matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
        while (m.find()) {
            out.add(m.group(1) + " " + m.group(2));
        }
        return out;
    }

    @Override
    public void close() {
        client.close();
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
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
