package dev.orgmesh.agent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3-compatible store against {@link FakeS3Server}, a fake at the protocol level that verifies every request's
 * SigV4 signature (S3 and R2 cannot run here).
 */
class S3ArtifactsTest {
    static final String ID = "AKIDTESTFAKE";
    static final String SECRET = "fake/secret+key0123456789";

    FakeS3Server fake;
    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        fake = new FakeS3Server("us-east-1", Map.of(ID, SECRET));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    S3Artifacts store(Map<String, String> secrets, long maxBytes) {
        return new S3Artifacts(S3Artifacts.Settings.of("s3", fake.endpoint(), Optional.empty(), Optional.of(true),
                Optional.of("S3_ID"), Optional.of("S3_KEY"), Duration.ofSeconds(5), maxBytes), () -> secrets);
    }

    S3Artifacts store() {
        return store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 1024 * 1024);
    }

    static ArtifactRef ref(String text) {
        return ArtifactRef.parse(text).orElseThrow();
    }

    @Test
    void getsIntoTheFileAndPutsAFileSignedRight() throws Exception {
        fake.put("bucket", "tasks/brief.md", "# Brief\n".getBytes(StandardCharsets.UTF_8));
        Path file = dir.resolve("artifacts/s3/bucket/tasks/brief.md");
        assertThat(store().fetch(ref("s3://bucket/tasks/brief.md"), file)).isTrue();
        assertThat(file).hasContent("# Brief\n");

        Path out = Files.writeString(dir.resolve("report ü.md"), "done\n");
        store().publish(ref("s3://bucket/reports/Q1 report ü+.md"), out);
        assertThat(fake.get("bucket", "reports/Q1 report ü+.md")).isEqualTo("done\n".getBytes(
                StandardCharsets.UTF_8));
        assertThat(store().size(ref("s3://bucket/reports/Q1 report ü+.md"))).hasValue(5);
        assertThat(store().size(ref("s3://bucket/reports/none.md"))).isEmpty();
        assertThat(fake.requests()).extracting(FakeS3Server.Request::status).containsExactly(200, 200, 200, 404);
    }

    @Test
    void aMissingKeyIsNotFoundAndLeavesNoFile() throws Exception {
        Path file = dir.resolve("artifacts/s3/bucket/none.md");
        assertThat(store().fetch(ref("s3://bucket/none.md"), file)).isFalse();
        assertThat(fake.requests()).singleElement().extracting(FakeS3Server.Request::code).isEqualTo("NoSuchKey");
        assertThat(file).doesNotExist();
    }

    @Test
    void aWrongSecretKeyIsRefusedWithTheStoresCodeAndNeverShown() {
        fake.put("bucket", "brief.md", new byte[]{1});
        String wrong = "wrong-secret-key-value";
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", wrong), 1024).fetch(ref("s3://bucket/brief.md"),
                dir.resolve("x"))).isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.storeCode()).isEqualTo("SignatureDoesNotMatch");
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.isPermissionDenied()).isTrue();
                    assertThat(e.getMessage()).contains("refused GET s3://bucket/brief.md")
                            .contains("403 SignatureDoesNotMatch: The request signature we calculated does not match")
                            .doesNotContain(wrong).doesNotContain(SECRET);
                });
        assertThatThrownBy(() -> store(Map.of("S3_ID", "AKIDUNKNOWN", "S3_KEY", SECRET), 1024).publish(ref(
                "s3://bucket/out.md"), Files.writeString(dir.resolve("out.md"), "x"))).isInstanceOfSatisfying(
                        ArtifactException.class, e -> assertThat(e.getMessage()).contains(
                                "refused PUT s3://bucket/out.md (403 InvalidAccessKeyId: The AWS Access Key Id you"
                                        + " provided does not exist in our records.)"));
        assertThat(fake.get("bucket", "out.md")).isNull();
    }

    @Test
    void missingCredentialsNameTheSecretAndTheSetting() {
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID), 1024).fetch(ref("s3://bucket/brief.md"), dir.resolve(
                "x"))).isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("no credentials for s3:// artifacts").contains("S3_KEY")
                            .contains("orgmesh.agent.artifacts.s3.secret-key-secret");
                });
        assertThat(fake.requests()).as("nothing unsigned is sent").isEmpty();
    }

    @Test
    void anUnreachableOrBusyStoreIsWorthRetrying() throws Exception {
        fake.put("bucket", "brief.md", new byte[]{1});
        fake.unavailableFor(1);
        assertThatThrownBy(() -> store().fetch(ref("s3://bucket/brief.md"), dir.resolve("x")))
                .isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getMessage()).contains("503 SlowDown");
                });
        assertThat(store().fetch(ref("s3://bucket/brief.md"), dir.resolve("x"))).isTrue();

        S3Artifacts gone = store();
        fake.close();
        assertThatThrownBy(() -> gone.fetch(ref("s3://bucket/brief.md"), dir.resolve("y")))
                .isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.status()).isZero();
                    assertThat(e.getMessage()).contains("s3 store " + fake.endpoint() + " could not be reached for"
                            + " GET s3://bucket/brief.md");
                });
    }

    @Test
    void anObjectOverTheLimitIsRefusedAndLeavesNoPartialFile() throws Exception {
        fake.put("bucket", "big.bin", new byte[2048]);
        Path file = dir.resolve("artifacts/s3/bucket/big.bin");
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 1024).fetch(ref("s3://bucket/big.bin"),
                file)).isInstanceOfSatisfying(ArtifactException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("s3://bucket/big.bin is 2048 bytes, over the 1024-byte"
                            + " artifact limit (orgmesh.agent.artifacts.max-size)");
                });
        assertThat(file).doesNotExist();
        try (Stream<Path> left = Files.walk(dir)) {
            assertThat(left.filter(Files::isRegularFile)).isEmpty();
        }
        Path big = Files.write(dir.resolve("big.bin"), new byte[2048]);
        assertThatThrownBy(() -> store(Map.of("S3_ID", ID, "S3_KEY", SECRET), 1024).publish(ref("s3://bucket/up.bin"),
                big)).hasMessageContaining("over the 1024-byte artifact limit");
        assertThat(fake.get("bucket", "up.bin")).isNull();
    }
}
