package dev.orgmesh.agent.artifact;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for S3-compatible storage, header-based: the {@code Authorization} header of one request,
 * from its method, path, query, the headers to sign and the SHA-256 of its payload (the
 * {@code x-amz-content-sha256} the request carries). Only the protocol lives here; the primitives are the JDK's
 * ({@link MessageDigest} SHA-256, {@link Mac} HmacSHA256).
 *
 * <p>Checked against AWS's published S3 example ({@code GET /test.txt} of {@code examplebucket}, 2013-05-24, see
 * {@code SigV4Test}).
 */
public final class SigV4 {
    /** The algorithm name in the string to sign and the {@code Authorization} header. */
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    /** SHA-256 of nothing, the payload hash of a request without a body. */
    public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private SigV4() {
    }

    /**
     * An access key pair. {@link #toString()} never shows the secret.
     *
     * @param accessKeyId the access key id (sent in the clear in every request)
     * @param secretAccessKey the secret access key (only ever used as HMAC key material)
     */
    public record Credentials(String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "Credentials[" + accessKeyId + ", secret hidden]";
        }
    }

    /**
     * One request to sign.
     *
     * @param method {@code GET}, {@code PUT}, …
     * @param rawPath the path exactly as sent (already URI-encoded, {@code /} kept)
     * @param rawQuery the query exactly as sent, or empty
     * @param headers every header to sign, by name in any case (must include {@code host}, {@code x-amz-date} and
     *        {@code x-amz-content-sha256})
     * @param payloadSha256 the lowercase hex SHA-256 of the body ({@link #EMPTY_SHA256} for none)
     */
    public record Request(String method, String rawPath, String rawQuery, Map<String, String> headers,
            String payloadSha256) {
    }

    /** {@code x-amz-date} for {@code at}: {@code 20130524T000000Z}. */
    public static String amzDate(Instant at) {
        return AMZ_DATE.format(at);
    }

    /** The canonical request: method, path, sorted query, sorted lowercase headers, signed header names, hash. */
    public static String canonicalRequest(Request r) {
        SortedMap<String, String> headers = canonicalHeaders(r.headers());
        StringBuilder b = new StringBuilder();
        b.append(r.method()).append('\n');
        b.append(r.rawPath().isEmpty() ? "/" : r.rawPath()).append('\n');
        b.append(canonicalQuery(r.rawQuery())).append('\n');
        headers.forEach((k, v) -> b.append(k).append(':').append(v).append('\n'));
        b.append('\n');
        b.append(String.join(";", headers.keySet())).append('\n');
        b.append(r.payloadSha256());
        return b.toString();
    }

    /** The string to sign for {@code canonicalRequest} made at {@code amzDate} in {@code region}. */
    public static String stringToSign(String canonicalRequest, String amzDate, String region, String service) {
        return ALGORITHM + "\n" + amzDate + "\n" + scope(amzDate, region, service) + "\n"
                + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
    }

    /** The hex signature of {@code stringToSign}. */
    public static String signature(String stringToSign, String secretAccessKey, String amzDate, String region,
            String service) {
        byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), amzDate.substring(0, 8));
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        return HEX.formatHex(hmac(key, stringToSign));
    }

    /**
     * The {@code Authorization} header value for {@code r}, signed with {@code credentials} for {@code region} and
     * {@code service} ({@code s3}); the date is the request's {@code x-amz-date}.
     */
    public static String authorization(Request r, Credentials credentials, String region, String service) {
        String amzDate = canonicalHeaders(r.headers()).get("x-amz-date");
        if (amzDate == null || amzDate.length() < 8) {
            throw new IllegalArgumentException("the request to sign has no x-amz-date header");
        }
        String canonical = canonicalRequest(r);
        String signature = signature(stringToSign(canonical, amzDate, region, service),
                credentials.secretAccessKey(), amzDate, region, service);
        return ALGORITHM + " Credential=" + credentials.accessKeyId() + "/" + scope(amzDate, region, service)
                + ",SignedHeaders=" + String.join(";", canonicalHeaders(r.headers()).keySet()) + ",Signature="
                + signature;
    }

    /** The lowercase hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        return HEX.formatHex(sha256().digest(bytes));
    }

    /** A fresh SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * {@code text} URI-encoded as SigV4 and S3 want it: every byte but the unreserved {@code A-Z a-z 0-9 - . _ ~}
     * percent-encoded (uppercase hex); {@code /} kept when {@code keepSlash} (object keys in a path).
     */
    public static String uriEncode(String text, boolean keepSlash) {
        StringBuilder b = new StringBuilder();
        for (byte c : text.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~' || (keepSlash && c == '/')) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return b.toString();
    }

    private static String scope(String amzDate, String region, String service) {
        return amzDate.substring(0, 8) + "/" + region + "/" + service + "/aws4_request";
    }

    private static SortedMap<String, String> canonicalHeaders(Map<String, String> headers) {
        SortedMap<String, String> out = new TreeMap<>();
        headers.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v.strip().replaceAll("\\s+", " ")));
        return out;
    }

    /** The query's parameters sorted by name, then value; they are sent encoded already, so they are kept. */
    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        return Arrays.stream(rawQuery.split("&")).map(p -> p.contains("=") ? p : p + "=").sorted()
                .collect(Collectors.joining("&"));
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }
}
