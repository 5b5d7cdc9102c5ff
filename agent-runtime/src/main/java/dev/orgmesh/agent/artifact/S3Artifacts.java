package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

/**
 * Artifacts in S3-compatible storage (Cloudflare R2, AWS S3, MinIO, …) for one scheme: {@code s3://{bucket}/{key}}
 * or {@code r2://{bucket}/{key}} is object {@code key} of bucket {@code bucket} at the configured endpoint. A small
 * client over {@code java.net.http} (HTTP/1.1, no redirects) speaking the REST API's {@code GetObject},
 * {@code PutObject} and {@code HeadObject}, each request signed with AWS Signature Version 4 ({@link SigV4},
 * header-based, the payload's SHA-256 in {@code x-amz-content-sha256}).
 *
 * <p>The credentials are read at each request from the agent's secrets by the names configured (a rotated secret is
 * used as soon as the runtime has it), else from the environment variable of that name; they reach the
 * {@code Authorization} header and nothing else. An error names what the store said: its HTTP status and the
 * {@code Code} and {@code Message} of its XML error body ({@code NoSuchKey}, {@code AccessDenied},
 * {@code SignatureDoesNotMatch}, …), never what was sent.
 */
public final class S3Artifacts implements ArtifactStore {
    private static final Logger LOG = Logger.getLogger(S3Artifacts.class);
    private static final int ERROR_BODY_LIMIT = 64 * 1024;
    private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");

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
     * @param timeout connecting, and waiting for the answer's headers
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
    private final Clock clock;
    private final HttpClient http;

    /**
     * @param secrets the agent's secrets by name as of each call ({@code AgentSecrets#current})
     */
    public S3Artifacts(Settings settings, Supplier<Map<String, String>> secrets) {
        this(settings, secrets, Clock.systemUTC());
    }

    S3Artifacts(Settings settings, Supplier<Map<String, String>> secrets, Clock clock) {
        this.settings = settings;
        this.secrets = secrets;
        this.clock = clock;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The settings this store was made with. */
    public Settings settings() {
        return settings;
    }

    @Override
    public boolean fetch(ArtifactRef ref, Path file) throws IOException {
        HttpResponse<InputStream> response = send("GET", ref, SigV4.EMPTY_SHA256, null, HttpRequest.BodyPublishers
                .noBody());
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status == 404) {
                StoreError error = StoreError.read(body);
                if ("NoSuchBucket".equals(error.code())) {
                    LOG.warnf("%s: %s has no bucket %s (404 NoSuchBucket)", ref, where(), ref.bucket());
                } else {
                    LOG.infof("%s: not found (404 %s)", ref, error.code() != null ? error.code() : "without a code");
                }
                return false;
            }
            if (status != 200) {
                throw refused("GET", ref, status, StoreError.read(body));
            }
            OptionalLong length = response.headers().firstValueAsLong("content-length");
            if (length.isPresent() && length.getAsLong() > settings.maxBytes()) {
                throw tooLarge("GET", ref, length.getAsLong() + " bytes");
            }
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".part");
            try {
                long copied;
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    copied = copy(body, out, ref);
                }
                if (length.isPresent() && copied != length.getAsLong()) {
                    throw new ArtifactException("GET", ref, status, null, true, where() + " sent " + copied
                            + " of the " + length.getAsLong() + " bytes of " + ref, null);
                }
                move(tmp, file);
                LOG.debugf("fetched %s (%d bytes) to %s", ref, copied, file);
                return true;
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
        String hash;
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), SigV4.sha256())) {
            in.transferTo(OutputStream.nullOutputStream());
            hash = HexFormat.of().formatHex(in.getMessageDigest().digest());
        }
        HttpResponse<InputStream> response = send("PUT", ref, hash, contentType(ref.name()), HttpRequest.BodyPublishers
                .ofFile(file));
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw refused("PUT", ref, response.statusCode(), StoreError.read(body));
            }
            body.transferTo(OutputStream.nullOutputStream());
        }
        LOG.debugf("published %s (%d bytes) to %s", ref, size, where());
    }

    /** The object's size, or empty when it does not exist ({@code HeadObject}). */
    public OptionalLong size(ArtifactRef ref) throws IOException {
        HttpResponse<InputStream> response = send("HEAD", ref, SigV4.EMPTY_SHA256, null, HttpRequest.BodyPublishers
                .noBody());
        try (InputStream body = response.body()) {
            return switch (response.statusCode()) {
                case 200 -> response.headers().firstValueAsLong("content-length");
                case 404 -> OptionalLong.empty();
                default -> throw refused("HEAD", ref, response.statusCode(), StoreError.read(body));
            };
        }
    }

    /**
     * The signed request for {@code ref} at the clock's now; {@code extra} headers are signed too. Package-private
     * so the signer can be checked against AWS's example.
     */
    HttpRequest request(String method, ArtifactRef ref, String payloadSha256, String contentType,
            HttpRequest.BodyPublisher body, Map<String, String> extra) throws ArtifactException {
        URI uri = uri(ref);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("host", host(uri));
        headers.put("x-amz-content-sha256", payloadSha256);
        headers.put("x-amz-date", SigV4.amzDate(clock.instant()));
        if (contentType != null) {
            headers.put("content-type", contentType);
        }
        headers.putAll(extra);
        String authorization = SigV4.authorization(new SigV4.Request(method, uri.getRawPath(), uri.getRawQuery(),
                headers, payloadSha256), credentials(method, ref), settings.region(), "s3");
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.timeout()).method(method, body);
        headers.forEach((k, v) -> {
            if (!k.equals("host")) { // the client sends it from the URI, as signed
                b.header(k, v);
            }
        });
        return b.header("authorization", authorization).build();
    }

    /** Where {@code ref} lives: path style {@code {endpoint}/{bucket}/{key}}, else {@code {bucket}.{host}/{key}}. */
    URI uri(ArtifactRef ref) {
        URI e = settings.endpoint();
        String base = e.getRawPath() == null ? "" : e.getRawPath().replaceAll("/+$", "");
        String key = SigV4.uriEncode(ref.name(), true);
        String port = e.getPort() == -1 ? "" : ":" + e.getPort();
        if (settings.pathStyle()) {
            return URI.create(e.getScheme() + "://" + e.getRawAuthority() + base + "/" + SigV4.uriEncode(ref
                    .bucket(), false) + "/" + key);
        }
        return URI.create(e.getScheme() + "://" + ref.bucket() + "." + e.getHost() + port + base + "/" + key);
    }

    private HttpResponse<InputStream> send(String method, ArtifactRef ref, String payloadSha256, String contentType,
            HttpRequest.BodyPublisher body) throws IOException {
        HttpRequest request = request(method, ref, payloadSha256, contentType, body, Map.of());
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new ArtifactException(method, ref, 0, null, true, where() + " could not be reached for " + method
                    + " " + ref + ": " + e.getClass().getSimpleName() + (e.getMessage() != null
                            ? " " + e
                                    .getMessage()
                            : ""),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException(method, ref, 0, null, true, "interrupted during " + method + " " + ref, e);
        }
    }

    /** The host header the JDK client sends for {@code uri}: the port only when it is not the scheme's default. */
    private static String host(URI uri) {
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (uri.getScheme().equals("https") ? port == 443 : port == 80);
        return defaultPort ? uri.getHost() : uri.getHost() + ":" + port;
    }

    private SigV4.Credentials credentials(String method, ArtifactRef ref) throws ArtifactException {
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
        return new SigV4.Credentials(id, key);
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

    private ArtifactException refused(String method, ArtifactRef ref, int status, StoreError error) {
        boolean retryable = status >= 500 || status == 429 || status == 408;
        String said = status + (error.code() != null ? " " + error.code() : "") + (error.message() != null
                ? ": " + error.message()
                : "");
        return new ArtifactException(method, ref, status, error.code(), retryable, where() + " refused " + method + " "
                + ref + " (" + said + ")", null);
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

    /** {@code Code} and {@code Message} of an S3 XML error body; both {@code null} when there is none. */
    record StoreError(String code, String message) {
        static StoreError read(InputStream body) throws IOException {
            String text = new String(body.readNBytes(ERROR_BODY_LIMIT), StandardCharsets.UTF_8);
            body.transferTo(OutputStream.nullOutputStream());
            return new StoreError(first(CODE, text), first(MESSAGE, text));
        }

        private static String first(Pattern p, String text) {
            Matcher m = p.matcher(text);
            if (!m.find()) {
                return null;
            }
            String v = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                    .replace("&apos;", "'").replace("&amp;", "&").strip().replaceAll("[\\p{Cntrl}]", " ");
            return v.isEmpty() ? null : v.length() > 300 ? v.substring(0, 300) + "…" : v;
        }
    }
}
