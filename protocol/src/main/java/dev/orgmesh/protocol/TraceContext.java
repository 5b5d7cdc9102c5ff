package dev.orgmesh.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * W3C trace context ({@code traceparent}, version 00) for envelopes, so one piece of work lines up as one trace in
 * OpenTelemetry tooling across agents. A message continues the trace of the message it answers; a message that starts
 * a thread without one (a shell {@code nats pub}) gets a trace id derived from its thread id, so every agent that
 * joins the thread later lands in the same trace. Span ids derive from the message id: sending the same message again
 * (a redelivery, an outbox retry) yields the same header, as idempotence wants.
 */
public final class TraceContext {
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final String ZERO_TRACE = "0".repeat(32);

    /** Never used itself, only cloned (set lazily: a native image must not hold it from its build). */
    private static volatile MessageDigest sha256;

    private TraceContext() {
    }

    /**
     * The {@code traceparent} for message {@code messageId} of thread {@code threadId}, continuing {@code incoming}
     * (the traceparent of what it answers) when that is a valid one.
     */
    public static String traceparent(String incoming, String threadId, String messageId) {
        String trace = traceId(incoming);
        if (trace == null) {
            trace = hex(threadId == null ? messageId : threadId, 16);
        }
        return "00-" + trace + "-" + hex(messageId, 8) + "-01";
    }

    /** The trace id of a valid traceparent, or null. */
    public static String traceId(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        var m = TRACEPARENT.matcher(traceparent.trim());
        return m.matches() && !m.group(1).equals(ZERO_TRACE) ? m.group(1) : null;
    }

    private static String hex(String s, int bytes) {
        try {
            byte[] d = sha256().digest(String.valueOf(s).getBytes(StandardCharsets.UTF_8));
            byte[] out = Arrays.copyOf(d, bytes);
            if (out[0] == 0 && out[1] == 0) {
                out[0] = 1; // never the all-zero id the spec forbids
            }
            return HexFormat.of().formatHex(out);
        } catch (NoSuchAlgorithmException | CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A fresh SHA-256: a clone of one looked up once (looking it up among the security providers for every message
     * cost a fifth of what sending a message costs).
     */
    private static MessageDigest sha256() throws NoSuchAlgorithmException, CloneNotSupportedException {
        MessageDigest p = sha256;
        if (p == null) {
            p = MessageDigest.getInstance("SHA-256");
            sha256 = p;
        }
        return (MessageDigest) p.clone();
    }
}
