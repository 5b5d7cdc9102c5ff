package dev.orgmesh.agent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.testkit.FreePorts;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3-compatible store against S3Proxy, a real S3 server run by the test ({@link S3ProxyServer}) that checks every
 * request's signature: the SDK client as the agent configures it, with the credentials read from the secrets.
 */
class S3ArtifactsTest {
    static final String ID = "AKIDTESTS3PROXY";
    static final String SECRET = "test/secret+key0123456789";

    static S3ProxyServer server;
    @TempDir
    Path dir;
    String bucket;

    @BeforeAll
    static void startServer() throws IOException {
        server = S3ProxyServer.start(ID, SECRET);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void newBucket() {
        bucket = "b-" + UUID.randomUUID().toString().substring(0, 12);
        server.createBucket(bucket);
    }

    static S3Artifacts.Settings settings(String endpoint, long maxBytes) {
        return S3Artifacts.Settings.of("s3", endpoint, Optional.empty(), Optional.of(true), Optional.of("S3_ID"),
                Optional.of("S3_KEY"), Duration.ofSeconds(5), maxBytes);
    }

    S3Artifacts store(Map<String, String> secrets, long maxBytes) {
        return new S3Artifacts(settings(server.endpoint(), maxBytes), () -> secrets);
    }

    S3Artifacts store() {
        return store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 1024 * 1024);
    }

    ArtifactRef ref(String key) {
        return new ArtifactRef("s3", bucket, key);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void putsAFileAndGetsItBackIntoAFile() throws Exception {
        server.put(bucket, "tasks/brief.md", "# Brief\n".getBytes(StandardCharsets.UTF_8));
        Path file = dir.resolve("artifacts/s3/" + bucket + "/tasks/brief.md");
        assertThat(store().fetch(ref("tasks/brief.md"), file)).isTrue();
        assertThat(file).hasContent("# Brief\n");

        Path out = Files.writeString(dir.resolve("report ü.md"), "done\n");
        ArtifactRef report = ref("reports/Q1 report ü+.md");
        store().publish(report, out);
        assertThat(server.get(bucket, "reports/Q1 report ü+.md")).asString(StandardCharsets.UTF_8).isEqualTo("done\n");
        assertThat(server.client().headObject(b -> b.bucket(bucket).key("reports/Q1 report ü+.md")).contentType())
                .isEqualTo("text/markdown; charset=utf-8");
        assertThat(store().size(report)).hasValue(5);
        assertThat(store().size(ref("reports/none.md"))).isEmpty();

        Path back = dir.resolve("back.md");
        assertThat(store().fetch(report, back)).isTrue();
        assertThat(back).hasContent("done\n");
        store().publish(report, Files.writeString(out, "done again\n"));
        assertThat(store().fetch(report, back)).as("a newer version replaces the file").isTrue();
        assertThat(back).hasContent("done again\n");
    }

    /**
     * A {@code PutObject} is addressed by its content: its signature covers the SHA-256 of the whole file, and the
     * store refuses a body that does not match it, so what is stored is exactly what was published.
     */
    @Test
    void aPutIsSignedOverTheFilesSha256AndTheStoreRefusesOtherBytes() throws Exception {
        List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();
        ExecutionInterceptor capture = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                sent.add(context.httpRequest());
            }
        };
        S3Artifacts store = new S3Artifacts(settings(server.endpoint(), 1024 * 1024), () -> Map.of("S3_ID", ID,
                "S3_KEY", SECRET), List.of(capture));
        byte[] content = "the report, version 1\n".getBytes(StandardCharsets.UTF_8);
        store.publish(ref("out/report.md"), Files.write(dir.resolve("report.md"), content));

        SdkHttpRequest put = sent.getFirst();
        assertThat(put.method().name()).isEqualTo("PUT");
        assertThat(put.firstMatchingHeader("x-amz-content-sha256")).hasValue(sha256(content));
        assertThat(put.firstMatchingHeader("Content-Encoding")).as("one plain body, not aws-chunked").isEmpty();
        assertThat(put.firstMatchingHeader("Authorization")).hasValueSatisfying(a -> assertThat(a).startsWith(
                "AWS4-HMAC-SHA256 Credential=" + ID + "/").contains("x-amz-content-sha256").doesNotContain(SECRET));
        assertThat(sha256(server.get(bucket, "out/report.md"))).isEqualTo(sha256(content));

        // the same signed request with other bytes of the same length: the store checks them against the signature
        byte[] forged = "the report, version 2\n".getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder replay = HttpRequest.newBuilder(put.getUri()).PUT(HttpRequest.BodyPublishers.ofByteArray(
                forged));
        Set<String> restricted = Set.of("host", "content-length", "connection", "expect");
        put.headers().forEach((name, values) -> {
            if (!restricted.contains(name.toLowerCase())) {
                values.forEach(v -> replay.header(name, v));
            }
        });
        HttpResponse<String> refused = HttpClient.newHttpClient().send(replay.build(), HttpResponse.BodyHandlers
                .ofString());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("<Code>XAmzContentSHA256Mismatch</Code>");
        assertThat(server.get(bucket, "out/report.md")).as("still what was published").isEqualTo(content);
    }

    @Test
    void aLargeObjectGoesBothWaysIntact() throws Exception {
        byte[] content = new byte[24 * 1024 * 1024 + 13];
        new Random(42).nextBytes(content);
        Path file = Files.write(dir.resolve("big.bin"), content);
        S3Artifacts store = store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 64L * 1024 * 1024);

        store.publish(ref("data/big.bin"), file);
        assertThat(store.size(ref("data/big.bin"))).hasValue(content.length);
        Path back = dir.resolve("artifacts/s3/" + bucket + "/data/big.bin");
        assertThat(store.fetch(ref("data/big.bin"), back)).isTrue();
        assertThat(Files.size(back)).isEqualTo(content.length);
        assertThat(sha256(Files.readAllBytes(back))).isEqualTo(sha256(content));
    }

    @Test
    void aMissingKeyOrBucketIsNotFoundAndLeavesNoFile() throws Exception {
        Path file = dir.resolve("artifacts/s3/" + bucket + "/none.md");
        assertThat(store().fetch(ref("none.md"), file)).isFalse();
        assertThat(file).doesNotExist();
        assertThat(store().fetch(new ArtifactRef("s3", "no-such-bucket-" + bucket, "x.md"), file)).isFalse();
        assertThat(file).doesNotExist();
        assertThat(server.requests()).contains("GET /" + bucket + "/none.md", "GET /no-such-bucket-" + bucket
                + "/x.md");
    }

    @Test
    void aWrongSecretKeyIsRefusedWithTheStoresCodeAndNeverShown() {
        server.put(bucket, "brief.md", new byte[]{1});
        String wrong = "wrong-secret-key-value";
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", wrong), 1024).fetch(ref("brief.md"), dir.resolve(
                "x"))).isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.storeCode()).isEqualTo("SignatureDoesNotMatch");
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.isPermissionDenied()).isTrue();
                    assertThat(e.getMessage()).contains("refused GET s3://" + bucket + "/brief.md")
                            .contains("(403 SignatureDoesNotMatch: ")
                            .doesNotContain(wrong).doesNotContain(SECRET);
                });
        assertThatThrownBy(() -> store(Map.of("S3_ID", "AKIDUNKNOWN", "S3_KEY", SECRET), 1024).publish(ref("out.md"),
                Files.writeString(dir.resolve("out.md"), "x"))).isInstanceOfSatisfying(ArtifactException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(403);
                            assertThat(e.storeCode()).isEqualTo("InvalidAccessKeyId");
                            assertThat(e.getMessage()).contains("refused PUT s3://" + bucket + "/out.md (403"
                                    + " InvalidAccessKeyId");
                        });
        assertThat(server.get(bucket, "out.md")).isNull();
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", wrong), 1024).size(ref("brief.md")))
                .isInstanceOfSatisfying(ArtifactException.class, e -> assertThat(e.isPermissionDenied()).isTrue());
    }

    @Test
    void missingCredentialsNameTheSecretAndTheSettingAndSendNothing() {
        List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();
        ExecutionInterceptor capture = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                sent.add(context.httpRequest());
            }
        };
        S3Artifacts store = new S3Artifacts(settings(server.endpoint(), 1024), () -> Map.of("S3_ID", ID), List.of(
                capture));
        assertThatThrownBy(() -> store.fetch(ref("brief.md"), dir.resolve("x"))).isInstanceOfSatisfying(
                ArtifactException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.isPermissionDenied()).isTrue();
                    assertThat(e.getMessage()).contains("no credentials for s3:// artifacts").contains("S3_KEY")
                            .contains("orgmesh.agent.artifacts.s3.secret-key-secret");
                });
        assertThat(sent).as("nothing unsigned is sent").isEmpty();
    }

    @Test
    void anUnreachableOrBusyStoreIsWorthRetrying() throws Exception {
        String nobody = "http://127.0.0.1:" + FreePorts.next();
        S3Artifacts gone = new S3Artifacts(settings(nobody, 1024), () -> Map.of("S3_ID", ID, "S3_KEY", SECRET));
        assertThatThrownBy(() -> gone.fetch(ref("brief.md"), dir.resolve("y"))).isInstanceOfSatisfying(
                ArtifactException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.status()).isZero();
                    assertThat(e.getMessage()).contains("s3 store " + nobody + " could not be reached for GET s3://"
                            + bucket + "/brief.md: ConnectException");
                });
        assertThat(dir.resolve("y")).doesNotExist();

        // S3Proxy does not throttle: the mapping of a 503 is checked on the SDK's exception for one
        S3Exception slowDown = (S3Exception) S3Exception.builder().statusCode(503).awsErrorDetails(AwsErrorDetails
                .builder().errorCode("SlowDown").errorMessage("Please reduce your request rate.").build()).build();
        ArtifactException busy = store().failed("GET", ref("brief.md"), slowDown);
        assertThat(busy.retryable()).isTrue();
        assertThat(busy.getMessage()).endsWith("(503 SlowDown: Please reduce your request rate.)");
    }

    @Test
    void anObjectOverTheLimitIsRefusedAndLeavesNoPartialFile() throws Exception {
        server.put(bucket, "big.bin", new byte[2048]);
        Path file = dir.resolve("artifacts/s3/" + bucket + "/big.bin");
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 1024).fetch(ref("big.bin"), file))
                .isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("s3://" + bucket + "/big.bin is 2048 bytes, over the"
                            + " 1024-byte artifact limit (orgmesh.agent.artifacts.max-size)");
                });
        assertThat(file).doesNotExist();
        try (Stream<Path> left = Files.walk(dir)) {
            assertThat(left.filter(Files::isRegularFile)).isEmpty();
        }
        Path big = Files.write(dir.resolve("big.bin"), new byte[2048]);
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 1024).publish(ref("up.bin"), big))
                .hasMessageContaining("over the 1024-byte artifact limit");
        assertThat(server.get(bucket, "up.bin")).isNull();
    }
}
