package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthSchemeOption;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeParams;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Artifacts in S3-compatible storage (Cloudflare R2, AWS S3, MinIO, …) for one scheme: {@code s3://{bucket}/{key}}
 * or {@code r2://{bucket}/{key}} is object {@code key} of bucket {@code bucket} at the configured endpoint. The AWS
 * SDK for Java v2's {@link S3Client} does the protocol ({@code GetObject}, {@code PutObject}, {@code HeadObject},
 * SigV4 signing, S3's XML errors) over the JDK's {@code HttpURLConnection} ({@code url-connection-client}: no Netty,
 * no Apache client), configured for any S3-compatible store rather than for AWS alone:
 * <ul>
 * <li>the endpoint and region are the configured ones, path or virtual-host style as configured;</li>
 * <li>a {@code PutObject} is one request whose signature covers the SHA-256 of the whole file
 * ({@code x-amz-content-sha256}, as the store checks the bytes it receives against it), without {@code aws-chunked}
 * encoding or the SDK's newer trailing CRC checksums, which not every S3-compatible store accepts;</li>
 * <li>no retries inside the SDK: a failure worth retrying is an {@link ArtifactException} that says so, and the
 * message is redelivered later (the artifact stage's back-off), so a slow store does not hold a message for several
 * attempts within one handler timeout.</li>
 * </ul>
 *
 * <p>The credentials are read at each request from the agent's secrets by the names configured (a rotated secret is
 * used as soon as the runtime has it), else from the environment variable of that name; they go to the SDK for this
 * request only (never from the SDK's default chain: {@code ~/.aws/credentials}, instance metadata), and only into the signature.
 * An error names what the store said: its HTTP status and the {@code Code} and {@code Message} of its error body
 * ({@code NoSuchKey}, {@code AccessDenied}, {@code SignatureDoesNotMatch}, …), never what was sent.
 */
public final class S3Artifacts implements ArtifactStore {
    private static final Logger LOG = Logger.getLogger(S3Artifacts.class);
    private static final int MESSAGE_LIMIT = 300;

    /**
     * How to reach the store of one scheme.
     *
     * @param scheme {@code r2} or {@code s3}: the references this store serves
     * @param endpoint the service URL without the bucket: {@code https://{account}.r2.cloudflarestorage.com},
     *        {@code https://s3.{region}.amazonaws.com} or any S3-compatible endpoint
     * @param region the signing region ({@code auto} for R2)
     * @param pathStyle {@code true}: {@code {endpoint}/{bucket}/{key}}; {@code false}: virtual-host style
     *        {@code {bucket}.{endpoint host}/{key}}
     * @param accessKeySecret the name of the secret (else environment variable) holding the access key id
     * @param secretKeySecret the name of the secret (else environment variable) holding the secret access key
     * @param timeout connecting, and then each wait for bytes of the answer (not the whole transfer)
     * @param maxBytes the largest object fetched or file published
     */
    public record Settings(String scheme, URI endpoint, String region, boolean pathStyle, String accessKeySecret,
            String secretKeySecret, Duration timeout, long maxBytes) {
        public Settings {
            if (!scheme.equals("r2") && !scheme.equals("s3")) {
                throw new IllegalArgumentException("an S3-compatible store serves r2 or s3, not '" + scheme + "'");
            }
            if (endpoint.getScheme() == null || !(endpoint.getScheme().equals("https") || endpoint.getScheme()
                    .equals("http")) || endpoint.getHost() == null || endpoint.getRawUserInfo() != null
                    || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
                throw new IllegalArgumentException("the " + scheme + " endpoint '" + endpoint
                        + "' is not an http(s) URL with a host and nothing after the path"
                        + " (e.g. https://{account}.r2.cloudflarestorage.com)");
            }
            if (region == null || region.isBlank()) {
                throw new IllegalArgumentException("the " + scheme + " store needs a region (auto for R2)");
            }
            if (maxBytes <= 0) {
                throw new IllegalArgumentException("the artifact size limit must be positive");
            }
        }

        /**
         * The settings for {@code scheme} at {@code endpoint}, with the scheme's defaults for what is not given:
         * region {@code auto} (R2) or {@code us-east-1} (S3); path style for R2, virtual-host style for S3; credentials
         * {@code R2_ACCESS_KEY_ID}/{@code R2_SECRET_ACCESS_KEY} or {@code AWS_ACCESS_KEY_ID}/
         * {@code AWS_SECRET_ACCESS_KEY}.
         */
        public static Settings of(String scheme, String endpoint, Optional<String> region, Optional<Boolean> pathStyle,
                Optional<String> accessKeySecret, Optional<String> secretKeySecret, Duration timeout,
                long maxBytes) {
            boolean r2 = scheme.equals("r2");
            URI uri;
            try {
                uri = URI.create(endpoint.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + scheme + " endpoint '" + endpoint + "' is not a URL: "
                        + e.getMessage(), e);
            }
            return new Settings(scheme, uri, region.orElse(r2 ? "auto" : "us-east-1"), pathStyle.orElse(r2),
                    accessKeySecret.orElse(r2 ? "R2_ACCESS_KEY_ID" : "AWS_ACCESS_KEY_ID"),
                    secretKeySecret.orElse(r2 ? "R2_SECRET_ACCESS_KEY" : "AWS_SECRET_ACCESS_KEY"), timeout, maxBytes);
        }
    }

    private final Settings settings;
    private final Supplier<Map<String, String>> secrets;
    private final S3Client s3;

    /**
     * @param secrets the agent's secrets by name as of each call ({@code AgentSecrets#current})
     */
    public S3Artifacts(Settings settings, Supplier<Map<String, String>> secrets) {
        this(settings, secrets, List.of());
    }

    /** As above, with SDK interceptors added (tests look at the signed requests with one). */
    S3Artifacts(Settings settings, Supplier<Map<String, String>> secrets, List<ExecutionInterceptor> interceptors) {
        this.settings = settings;
        this.secrets = secrets;
        this.s3 = S3Client.builder().endpointOverride(settings.endpoint()).region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(settings.timeout())
                        .socketTimeout(settings.timeout()).build())
                .credentialsProvider(NO_CLIENT_CREDENTIALS).authSchemeProvider(new SignedPayload(
                        S3AuthSchemeProvider.defaultProvider()))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).executionInterceptors(
                        interceptors))
                .build();
    }

    /** The settings this store was made with. */
    public Settings settings() {
        return settings;
    }

    @Override
    public boolean fetch(ArtifactRef ref, Path file) throws IOException {
        AwsRequestOverrideConfiguration signed = signedBy(credentials("GET", ref));
        ResponseInputStream<GetObjectResponse> body;
        try {
            body = s3.getObject(b -> b.bucket(ref.bucket()).key(ref.name()).overrideConfiguration(signed));
        } catch (NoSuchBucketException e) {
            LOG.warnf("%s: %s has no bucket %s (404 NoSuchBucket)", ref, where(), ref.bucket());
            return false;
        } catch (NoSuchKeyException e) {
            LOG.infof("%s: not found (404 %s)", ref, code(e).orElse("without a code"));
            return false;
        } catch (RuntimeException e) {
            throw failed("GET", ref, e);
        }
        try (body) {
            Long length = body.response().contentLength();
            if (length != null && length > settings.maxBytes()) {
                body.abort();
                throw tooLarge("GET", ref, length + " bytes");
            }
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".part");
            try {
                long copied;
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    copied = copy(body, out, ref);
                } catch (RuntimeException e) {
                    throw failed("GET", ref, e);
                }
                if (length != null && copied != length) {
                    throw new ArtifactException("GET", ref, 200, null, true, where() + " sent " + copied
                            + " of the " + length + " bytes of " + ref, null);
                }
                move(tmp, file);
                LOG.debugf("fetched %s (%d bytes) to %s", ref, copied, file);
                return true;
            } catch (ArtifactException e) {
                body.abort();
                throw e;
            } catch (IOException e) {
                body.abort();
                throw new ArtifactException("GET", ref, 0, null, true, where() + " broke off GET " + ref + ": "
                        + describe(e), e);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    @Override
    public void publish(ArtifactRef ref, Path file) throws IOException {
        long size = Files.size(file);
        if (size > settings.maxBytes()) {
            throw tooLarge("PUT", ref, size + " bytes");
        }
        AwsRequestOverrideConfiguration signed = signedBy(credentials("PUT", ref));
        try {
            s3.putObject(b -> b.bucket(ref.bucket()).key(ref.name()).contentType(contentType(ref.name()))
                    .contentLength(size).overrideConfiguration(signed), RequestBody.fromFile(file));
        } catch (RuntimeException e) {
            throw failed("PUT", ref, e);
        }
        LOG.debugf("published %s (%d bytes) to %s", ref, size, where());
    }

    /** The object's size, or empty when it does not exist ({@code HeadObject}). */
    public OptionalLong size(ArtifactRef ref) throws IOException {
        AwsRequestOverrideConfiguration signed = signedBy(credentials("HEAD", ref));
        try {
            Long length = s3.headObject(b -> b.bucket(ref.bucket()).key(ref.name()).overrideConfiguration(signed))
                    .contentLength();
            return length == null ? OptionalLong.empty() : OptionalLong.of(length);
        } catch (NoSuchKeyException e) {
            return OptionalLong.empty();
        } catch (RuntimeException e) {
            throw failed("HEAD", ref, e);
        }
    }

    /**
     * What the SDK's exception means for the artifact stage: a store's answer ({@link S3Exception}) is refused with
     * its status and code, retryable for 5xx, 408 and 429; no answer (unreachable, timed out, broken off) is worth
     * retrying. Package-private so the mapping of answers the test store does not give (503) is checked too.
     */
    ArtifactException failed(String method, ArtifactRef ref, RuntimeException e) {
        if (e instanceof S3Exception s) {
            int status = s.statusCode();
            Optional<String> code = code(s);
            Optional<String> message = Optional.ofNullable(s.awsErrorDetails()).map(AwsErrorDetails::errorMessage)
                    .map(S3Artifacts::clean).filter(m -> !m.isEmpty());
            boolean retryable = status >= 500 || status == 429 || status == 408;
            String said = status + code.map(c -> " " + c).orElse("") + message.map(m -> ": " + m).orElse("");
            return new ArtifactException(method, ref, status, code.orElse(null), retryable, where() + " refused "
                    + method + " " + ref + " (" + said + ")", e);
        }
        if (e instanceof AbortedException) {
            Thread.currentThread().interrupt();
            return new ArtifactException(method, ref, 0, null, true, "interrupted during " + method + " " + ref, e);
        }
        if (e instanceof SdkClientException) {
            return new ArtifactException(method, ref, 0, null, true, where() + " could not be reached for " + method
                    + " " + ref + ": " + describe(e), e);
        }
        throw e;
    }

    /** The store's error code, when its answer had one (the answer to a {@code HEAD} has no body). */
    private static Optional<String> code(S3Exception e) {
        return Optional.ofNullable(e.awsErrorDetails()).map(AwsErrorDetails::errorCode).map(S3Artifacts::clean)
                .filter(c -> !c.isEmpty());
    }

    /** A store's text as one line of bounded length. */
    private static String clean(String text) {
        String v = text.strip().replaceAll("[\\p{Cntrl}]", " ");
        return v.length() > MESSAGE_LIMIT ? v.substring(0, MESSAGE_LIMIT) + "…" : v;
    }

    /** The failure's class and message, the root cause's when the SDK wrapped one. */
    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : e.getMessage();
        return root.getClass().getSimpleName() + (message != null ? " " + message : "");
    }

    private static AwsRequestOverrideConfiguration signedBy(AwsBasicCredentials credentials) {
        return AwsRequestOverrideConfiguration.builder().credentialsProvider(StaticCredentialsProvider.create(
                credentials)).build();
    }

    private AwsBasicCredentials credentials(String method, ArtifactRef ref) throws ArtifactException {
        String id = secret(settings.accessKeySecret());
        String key = secret(settings.secretKeySecret());
        if (id == null || key == null) {
            throw new ArtifactException(method, ref, 0, "MissingCredentials", false, "no credentials for "
                    + settings.scheme() + ":// artifacts: neither the agent's secrets nor the environment have "
                    + (id == null ? settings.accessKeySecret() : settings.secretKeySecret())
                    + " (orgmesh.agent.artifacts." + settings.scheme() + "." + (id == null
                            ? "access-key-secret"
                            : "secret-key-secret")
                    + ")", null);
        }
        return AwsBasicCredentials.create(id, key);
    }

    private String secret(String name) {
        String v = secrets.get().get(name);
        if (v == null || v.isBlank()) {
            v = System.getenv(name);
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    private long copy(InputStream in, OutputStream out, ArtifactRef ref) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) >= 0;) {
            total += n;
            if (total > settings.maxBytes()) {
                throw tooLarge("GET", ref, "more than " + settings.maxBytes() + " bytes");
            }
            out.write(buf, 0, n);
        }
        return total;
    }

    private static void move(Path tmp, Path file) throws IOException {
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private String where() {
        return settings.scheme() + " store " + settings.endpoint();
    }

    private ArtifactException tooLarge(String method, ArtifactRef ref, String size) {
        return new ArtifactException(method, ref, 0, "TooLarge", false, ref + " is " + size + ", over the "
                + settings.maxBytes() + "-byte artifact limit (orgmesh.agent.artifacts.max-size)", null);
    }

    /** A small content type for what agents usually write; anything else is plain bytes. */
    static String contentType(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return switch (dot < 0 ? "" : n.substring(dot + 1)) {
            case "md", "markdown" -> "text/markdown; charset=utf-8";
            case "txt", "log" -> "text/plain; charset=utf-8";
            case "json" -> "application/json";
            case "yaml", "yml" -> "application/yaml";
            case "csv" -> "text/csv; charset=utf-8";
            case "html", "htm" -> "text/html; charset=utf-8";
            case "pdf" -> "application/pdf";
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            default -> "application/octet-stream";
        };
    }

    /**
     * The client's own credentials: none. Every request carries the ones read for it ({@link #signedBy}), so the SDK
     * never falls back to its default chain (environment, {@code ~/.aws}, instance metadata).
     */
    private static final AwsCredentialsProvider NO_CLIENT_CREDENTIALS = () -> {
        throw new IllegalStateException("S3 requests carry their own credentials");
    };

    /**
     * The SDK's S3 auth schemes with the payload signed whole: {@code x-amz-content-sha256} is the SHA-256 of the
     * body (the SDK leaves it {@code UNSIGNED-PAYLOAD} over HTTPS, or signs it in {@code aws-chunked} pieces), as the
     * hand-written client did and every S3-compatible store understands.
     */
    private record SignedPayload(S3AuthSchemeProvider defaults) implements S3AuthSchemeProvider {
        @Override
        public List<AuthSchemeOption> resolveAuthScheme(S3AuthSchemeParams params) {
            return defaults.resolveAuthScheme(params).stream().map(o -> o.toBuilder().putSignerProperty(
                    AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, true).putSignerProperty(
                            AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false)
                    .build()).toList();
        }
    }
}
