package dev.orgmesh.agent.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/**
 * The signer against AWS's published example for S3 (Amazon S3 API reference, "Signature calculations for the
 * Authorization header", example "GET Object": the first 10 bytes of {@code test.txt} in {@code examplebucket},
 * 2013-05-24, the documentation's example key pair), step by step: canonical request, string to sign, signature,
 * {@code Authorization} header — then the same request as the S3 store builds it.
 */
class SigV4Test {
    static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final String DATE = "20130524T000000Z";
    static final String CANONICAL = """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855""";
    static final String STRING_TO_SIGN = """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972""";
    static final String SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    static final String AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            + "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE;

    @Test
    void awsPublishedGetObjectExampleStepByStep() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "examplebucket.s3.amazonaws.com");
        headers.put("Range", "bytes=0-9");
        headers.put("x-amz-content-sha256", SigV4.EMPTY_SHA256);
        headers.put("x-amz-date", DATE);
        SigV4.Request r = new SigV4.Request("GET", "/test.txt", null, headers, SigV4.EMPTY_SHA256);

        assertThat(SigV4.EMPTY_SHA256).isEqualTo(SigV4.sha256Hex(new byte[0]));
        assertThat(SigV4.canonicalRequest(r)).isEqualTo(CANONICAL);
        assertThat(SigV4.stringToSign(CANONICAL, DATE, "us-east-1", "s3")).isEqualTo(STRING_TO_SIGN);
        assertThat(SigV4.signature(STRING_TO_SIGN, SECRET_KEY, DATE, "us-east-1", "s3")).isEqualTo(SIGNATURE);
        assertThat(SigV4.authorization(r, new SigV4.Credentials(ACCESS_KEY, SECRET_KEY), "us-east-1", "s3"))
                .isEqualTo(AUTHORIZATION);
    }

    @Test
    void theStoreSignsTheExampleRequestTheSameWayVirtualHostStyle() throws Exception {
        S3Artifacts store = new S3Artifacts(S3Artifacts.Settings.of("s3", "https://s3.amazonaws.com", Optional.of(
                "us-east-1"), Optional.of(false), Optional.of("EX_ID"), Optional.of("EX_KEY"), Duration.ofSeconds(5),
                1024), () -> Map.of("EX_ID", ACCESS_KEY, "EX_KEY", SECRET_KEY),
                Clock.fixed(Instant.parse(
                        "2013-05-24T00:00:00Z"), ZoneOffset.UTC));
        ArtifactRef ref = new ArtifactRef("s3", "examplebucket", "test.txt");
        HttpRequest request = store.request("GET", ref, SigV4.EMPTY_SHA256, null, HttpRequest.BodyPublishers
                .noBody(), Map.of("range", "bytes=0-9"));

        assertThat(request.uri()).isEqualTo(URI.create("https://examplebucket.s3.amazonaws.com/test.txt"));
        assertThat(request.headers().firstValue("authorization")).hasValue(AUTHORIZATION);
        assertThat(request.headers().firstValue("x-amz-date")).hasValue(DATE);
        assertThat(request.toString()).doesNotContain(SECRET_KEY);
    }

    @Test
    void keysAreEncodedOnceAndPathStyleKeepsTheEndpointsPath() {
        S3Artifacts store = new S3Artifacts(S3Artifacts.Settings.of("r2", "https://acct.r2.cloudflarestorage.com/",
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(5), 1024),
                Map::of);
        assertThat(store.settings().region()).isEqualTo("auto");
        assertThat(store.settings().pathStyle()).isTrue();
        assertThat(store.settings().accessKeySecret()).isEqualTo("R2_ACCESS_KEY_ID");
        assertThat(store.uri(new ArtifactRef("r2", "komodo-ai", "tasks/Q1 plan+ü~.md"))).hasToString(
                "https://acct.r2.cloudflarestorage.com/komodo-ai/tasks/Q1%20plan%2B%C3%BC~.md");
        assertThat(new SigV4.Credentials("id", "very-secret").toString()).doesNotContain("very-secret");
    }
}
