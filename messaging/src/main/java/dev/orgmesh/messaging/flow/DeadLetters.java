package dev.orgmesh.messaging.flow;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.jboss.logging.Logger;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;

/**
 * Writes dead letters: a copy of the original (subject, headers, body) on {@code {co}.dlq.{source}} with the
 * {@code Orgmesh-Dlq-*} headers saying why, where it came from and which catalogue code applies. The copy's
 * {@code Nats-Msg-Id} is derived from the source stream and sequence, so several processes racing to move the same
 * message store it once.
 */
public final class DeadLetters {
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    private static final int MESSAGE_NOT_FOUND = 10037;
    private static final int MAX_REASON = 512;
    /**
     * Headers of the original that are not copied: every {@code Nats-*} header is an instruction to JetStream
     * (message id, expected sequences, {@code Nats-TTL}, rollups, batches) or one the server sets itself
     * ({@code Nats-Stream-Source}, which nats-server 2.12+ refuses on a publish: error 10227). A copy must not
     * repeat them.
     */
    private static final String SERVER_HEADER_PREFIX = "nats-";

    private final JetStream js;
    private final JetStreamManagement jsm;
    private final Subjects subjects;
    private final Duration timeout;
    /** Who files these dead letters: the sender token of their subject (ADR 0010). */
    private final String filer;

    /**
     * Dead letters filed by {@code filer} (the agent or service this connection is, the only name its permissions let
     * it file under).
     */
    public DeadLetters(JetStream js, JetStreamManagement jsm, Subjects subjects, Duration timeout, String filer) {
        this.js = js;
        this.jsm = jsm;
        this.subjects = subjects;
        this.timeout = timeout;
        this.filer = Subjects.token(filer);
    }

    /** The {@code Nats-Msg-Id} of the dead letter of {@code stream}/{@code seq}. */
    public static String msgId(String stream, long seq) {
        return "dlq-" + stream + "-" + seq;
    }

    /**
     * The {@code {source}} token of a company stream: its name without the company prefix, in lower case
     * ({@code OM_KOMODO_AI_TASKS} → {@code tasks}), so dead letters are grouped by where they came from.
     */
    public String sourceToken(String stream) {
        String s = stream.startsWith(subjects.assetPrefix())
                ? stream.substring(subjects.assetPrefix().length())
                : stream;
        String token = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+", "");
        return token.isEmpty() ? "unknown" : token;
    }

    /**
     * Publishes a dead letter for a message the caller holds (then acks or terms it). Throws
     * {@code PUBLISH_NOT_ACKNOWLEDGED} when the dead-letter stream does not take it, so the caller can leave the
     * original where it is.
     */
    public DeadLetter publish(String stream, long seq, String subject, Headers original, byte[] body, ErrorCode code,
            String reason) {
        return publish(stream, seq, msgId(stream, seq), subject, original, body, code, reason);
    }

    /**
     * A dead letter for a message no stream stored (a request): {@code source} names where it came ({@code ask}),
     * {@code id} makes it unique (the envelope id), its sequence is 0.
     */
    public DeadLetter publishUnstored(String source, String id, String subject, Headers original, byte[] body,
            ErrorCode code, String reason) {
        return publish(source, 0, "dlq-" + source + "-" + id, subject, original, body, code, reason);
    }

    private DeadLetter publish(String stream, long seq, String msgId, String subject, Headers original, byte[] body,
            ErrorCode code, String reason) {
        Headers h = new Headers();
        if (original != null) {
            for (Map.Entry<String, List<String>> e : original.entrySet()) {
                if (!e.getKey().toLowerCase(Locale.ROOT).startsWith(SERVER_HEADER_PREFIX)) {
                    h.put(e.getKey(), e.getValue());
                }
            }
        }
        String cleanReason = headerValue(reason);
        h.put(HeaderNames.DLQ_CODE, String.valueOf(code.code()));
        h.put(HeaderNames.DLQ_REASON, cleanReason);
        h.put(HeaderNames.DLQ_ORIGINAL_SUBJECT, subject);
        h.put(HeaderNames.DLQ_ORIGINAL_STREAM, stream);
        h.put(HeaderNames.DLQ_ORIGINAL_SEQUENCE, String.valueOf(seq));
        String stored = storedAt(original, stream, seq);
        if (stored != null) {
            h.put(HeaderNames.DLQ_STORED_AT, stored);
        }
        try {
            PublishAck ack = js.publish(subjects.dlq(sourceToken(stream), filer), h, body,
                    PublishOptions.builder().messageId(msgId).streamTimeout(timeout).build());
            LOG.infof("%s dead-lettered %s/%d (%s): %s", ErrorCode.DEAD_LETTERED.label(), stream, seq, code.label(),
                    cleanReason);
            return new DeadLetter(stream, seq, subject, original, body, code, cleanReason, ack.isDuplicate());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED,
                    "cannot dead-letter " + stream + "/" + seq + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where the server first stored a message ({@code <stream> <seq>}): the origin named by its
     * {@code Nats-Stream-Source} header (the audit stream, for a DM or task read from its work queue), else
     * {@code stream}/{@code seq} itself; null for a message no stream stored.
     */
    public static String storedAt(Headers original, String stream, long seq) {
        String source = original == null ? null : original.getFirst(HeaderNames.STREAM_SOURCE);
        if (source != null) {
            String[] t = source.trim().split("\\s+");
            if (t.length >= 2 && t[1].matches("[0-9]+")) {
                // older servers name the origin "<stream>:<hash>"
                int colon = t[0].indexOf(':');
                return (colon > 0 ? t[0].substring(0, colon) : t[0]) + " " + t[1];
            }
        }
        return seq > 0 ? stream + " " + seq : null;
    }

    /**
     * Why {@code at} ({@link #storedAt}'s {@code <stream> <seq>}) does not hold exactly {@code data} on {@code subject}
     * in one of the company's streams (whose names start with {@code assetPrefix}), if it does not. Used wherever a
     * service must act only on what the server itself stored, not on what a filer says it stored (a dead letter's
     * replay, an approval hold).
     */
    public static Optional<String> storedProblem(JetStreamManagement jsm, String assetPrefix, String at,
            String subject, byte[] data) {
        String[] t = at == null ? new String[0] : at.trim().split(" ");
        if (t.length != 2 || !t[0].startsWith(assetPrefix) || !t[1].matches("[0-9]{1,18}")) {
            return Optional.of("it does not say where the server stored it (" + at + ")");
        }
        MessageInfo stored;
        try {
            stored = jsm.getMessage(t[0], Long.parseLong(t[1]));
        } catch (JetStreamApiException | IOException e) {
            return Optional.of("the server no longer stores " + t[0] + "/" + t[1] + " (" + e.getMessage() + ")");
        }
        byte[] mine = data == null ? new byte[0] : data;
        byte[] original = stored.getData() == null ? new byte[0] : stored.getData();
        return subject.equals(stored.getSubject()) && Arrays.equals(mine, original)
                ? Optional.empty()
                : Optional.of("the server stored another message at " + t[0] + "/" + t[1] + " (on "
                        + stored.getSubject() + ")");
    }

    /**
     * Moves {@code stream}/{@code seq}: reads it, publishes the dead letter, deletes the original. Empty when the
     * message is no longer in the stream (someone else moved it, or it was acked meanwhile).
     */
    public Optional<DeadLetter> move(String stream, long seq, ErrorCode code, String reason) {
        MessageInfo mi;
        try {
            mi = jsm.getMessage(stream, seq);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == MESSAGE_NOT_FOUND) {
                return Optional.empty();
            }
            throw new OrgmeshException(ErrorCode.DEAD_LETTERED,
                    "cannot read " + stream + "/" + seq + " to dead-letter it: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "cannot read " + stream + "/" + seq + " to dead-letter it: " + e.getMessage(), e);
        }
        DeadLetter dl = publish(stream, seq, mi.getSubject(), mi.getHeaders(), mi.getData() == null
                ? new byte[0]
                : mi.getData(), code, reason);
        try {
            jsm.deleteMessage(stream, seq);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != MESSAGE_NOT_FOUND) {
                LOG.warnf("dead-lettered %s/%d but could not delete the original: %s", stream, seq, e.getMessage());
            }
        } catch (IOException e) {
            LOG.warnf("dead-lettered %s/%d but could not delete the original: %s", stream, seq, e.getMessage());
        }
        return Optional.of(dl);
    }

    /** A header-safe version of {@code text}: printable ASCII only, at most 512 characters. */
    static String headerValue(String text) {
        if (text == null || text.isBlank()) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_REASON));
        for (int i = 0; i < text.length() && b.length() < MAX_REASON; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : (Character.isWhitespace(c) ? ' ' : '?'));
        }
        return b.toString().strip();
    }
}
