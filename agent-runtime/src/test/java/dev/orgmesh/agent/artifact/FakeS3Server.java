package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A <b>fake</b> S3-compatible object store, at the protocol level, for tests only: neither AWS S3 nor Cloudflare R2
 * can run here. On 127.0.0.1 (random port) it serves path-style {@code GET}, {@code PUT} and {@code HEAD} of
 * {@code /{bucket}/{key}} and, as S3 does, authenticates every request by <b>verifying its AWS Signature Version
 * 4</b>: it rebuilds the canonical request from what it received (method, raw path and query, the headers the
 * {@code Authorization} header says are signed, {@code x-amz-content-sha256}) and recomputes the signature with the
 * secret key it knows for the access key id. That computation is written here independently of {@link SigV4} (so a
 * signer bug is not mirrored), and a {@code PUT}'s body must match its {@code x-amz-content-sha256}. Errors are S3's
 * XML bodies: 403 {@code InvalidAccessKeyId} / {@code SignatureDoesNotMatch} / {@code AccessDenied}, 404
 * {@code NoSuchKey}, 400 {@code XAmzContentSHA256Mismatch} / {@code AuthorizationHeaderMalformed}.
 */
public final class FakeS3Server implements AutoCloseable {
    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/s3/aws4_request, ?SignedHeaders=([a-z0-9;-]+),"
                    + " ?Signature=([0-9a-f]{64})");

    /** One request as received and how it was answered. */
    public record Request(String method, String path, int status, String code) {
    }

    private final HttpServer server;
    private final String region;
    private final Map<String, String> keys;
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger unavailable = new AtomicInteger();

    /**
     * @param region the region requests must be signed for
     * @param keys secret access keys by access key id
     */
    public FakeS3Server(String region, Map<String, String> keys) throws IOException {
        this.region = region;
        this.keys = Map.copyOf(keys);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** The endpoint to configure (path style). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Stores an object, as another writer would. */
    public void put(String bucket, String key, byte[] body) {
        objects.put(bucket + "/" + key, body);
    }

    /** An object's bytes, or {@code null}. */
    public byte[] get(String bucket, String key) {
        return objects.get(bucket + "/" + key);
    }

    /** The next {@code n} requests are answered 503 {@code SlowDown}. */
    public void unavailableFor(int n) {
        unavailable.set(n);
    }

    /** Every request so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            String rawPath = x.getRequestURI().getRawPath();
            byte[] body = x.getRequestBody().readAllBytes();
            String problem = authenticate(x, method, rawPath, body);
            if (problem != null) {
                String code = problem.substring(0, problem.indexOf(' '));
                int status = code.equals("XAmzContentSHA256Mismatch") || code.equals("AuthorizationHeaderMalformed")
                        ? 400
                        : 403;
                error(x, method, rawPath, status, code, problem.substring(code.length() + 1));
                return;
            }
            if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                error(x, method, rawPath, 503, "SlowDown", "Please reduce your request rate.");
                return;
            }
            String path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8).substring(1);
            int slash = path.indexOf('/');
            if (slash <= 0) {
                error(x, method, rawPath, 400, "InvalidRequest", "Path-style /{bucket}/{key} expected.");
                return;
            }
            switch (method) {
                case "PUT" -> {
                    objects.put(path, body);
                    x.getResponseHeaders().add("ETag", "\"" + hex(MessageDigest.getInstance("MD5").digest(body))
                            + "\"");
                    respond(x, method, rawPath, 200, null, new byte[0]);
                }
                case "GET", "HEAD" -> {
                    byte[] object = objects.get(path);
                    if (object == null) {
                        error(x, method, rawPath, 404, "NoSuchKey", "The specified key does not exist.");
                    } else {
                        respond(x, method, rawPath, 200, null, object);
                    }
                }
                default -> error(x, method, rawPath, 405, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.");
            }
        } catch (IOException e) {
            // the client went away
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** {@code null} when the request is signed right; else {@code "{Code} {Message}"}. */
    private String authenticate(HttpExchange x, String method, String rawPath, byte[] body) throws Exception {
        String authorization = x.getRequestHeaders().getFirst("Authorization");
        Matcher m = authorization == null ? null : AUTH.matcher(authorization);
        if (m == null || !m.matches()) {
            return "AccessDenied Access Denied";
        }
        String secret = keys.get(m.group(1));
        if (secret == null) {
            return "InvalidAccessKeyId The AWS Access Key Id you provided does not exist in our records.";
        }
        if (!m.group(3).equals(region)) {
            return "AuthorizationHeaderMalformed The authorization header is malformed; the region '" + m.group(3)
                    + "' is wrong; expecting '" + region + "'";
        }
        List<String> signed = List.of(m.group(4).split(";"));
        if (!signed.containsAll(List.of("host", "x-amz-content-sha256", "x-amz-date"))) {
            return "AccessDenied host, x-amz-content-sha256 and x-amz-date must be signed";
        }
        String payloadHash = x.getRequestHeaders().getFirst("x-amz-content-sha256");
        String amzDate = x.getRequestHeaders().getFirst("x-amz-date");
        if (payloadHash == null || amzDate == null || !amzDate.startsWith(m.group(2))) {
            return "AccessDenied x-amz-content-sha256 or x-amz-date missing or not of the credential's day";
        }
        if (!payloadHash.equals(hex(MessageDigest.getInstance("SHA-256").digest(body)))) {
            return "XAmzContentSHA256Mismatch The provided 'x-amz-content-sha256' header does not match what was"
                    + " computed.";
        }
        StringBuilder canonical = new StringBuilder(method).append('\n').append(rawPath).append('\n');
        String query = x.getRequestURI().getRawQuery();
        canonical.append(query == null
                ? ""
                : Arrays.stream(query.split("&")).sorted().collect(Collectors.joining(
                        "&")))
                .append('\n');
        for (String h : signed) {
            String v = x.getRequestHeaders().getFirst(h);
            canonical.append(h).append(':').append(v == null ? "" : v.trim()).append('\n');
        }
        canonical.append('\n').append(m.group(4)).append('\n').append(payloadHash);
        String scope = m.group(2) + "/" + region + "/s3/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(MessageDigest.getInstance(
                "SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] k = mac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), m.group(2));
        for (String part : List.of(region, "s3", "aws4_request")) {
            k = mac(k, part);
        }
        if (!hex(mac(k, toSign)).equals(m.group(5))) {
            return "SignatureDoesNotMatch The request signature we calculated does not match the signature you"
                    + " provided. Check your key and signing method.";
        }
        return null;
    }

    private static byte[] mac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private void error(HttpExchange x, String method, String rawPath, int status, String code, String message)
            throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>"
                + message.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")
                + "</Message><RequestId>fake</RequestId></Error>";
        x.getResponseHeaders().add("Content-Type", "application/xml");
        respond(x, method, rawPath, status, code, xml.getBytes(StandardCharsets.UTF_8));
    }

    private void respond(HttpExchange x, String method, String rawPath, int status, String code, byte[] body)
            throws IOException {
        requests.add(new Request(method, rawPath, status, code));
        if (method.equals("HEAD")) {
            x.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
