package dev.orgmesh.messaging.ops;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * Dead letters for operators ({@code orgmesh dlq}, the console's dead-letter table): list, show and replay them. A replay publishes the envelope again to the subject it
 * was first sent to, under a new id (the runtime remembers handled ids, and the old one may still be in the
 * stream's duplicate window) with {@code replay_of} naming the original; the dead letter itself is kept unless
 * the operator asks to remove it.
 */
public final class DeadLetterOps {
    /** One dead letter as listed. */
    public record Row(long seq, Instant stored, String originalSubject, String code, String reason, String envelopeId) {
    }

    private final JetStream js;
    private final JetStreamManagement jsm;
    private final Subjects subjects;

    public DeadLetterOps(JetStream js, JetStreamManagement jsm, Subjects subjects) {
        this.js = js;
        this.jsm = jsm;
        this.subjects = subjects;
    }

    public List<Row> list(int limit) throws IOException, JetStreamApiException {
        return StreamReader.all(jsm, subjects.dlqStream(), limit).stream().map(DeadLetterOps::row).toList();
    }

    public MessageInfo show(long seq) throws IOException {
        try {
            return jsm.getMessage(subjects.dlqStream(), seq);
        } catch (JetStreamApiException e) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE,
                    "no dead letter with sequence " + seq + " in " + subjects.dlqStream());
        }
    }

    /**
     * Replays dead letter {@code seq}; returns the new envelope id and where it went. Only what the server itself
     * stored is replayed, on the subject it stored it under, so the replay speaks with the original sender's authority
     * and nobody else's, whoever files the dead letter and whoever replays it ({@link #storedOriginal}).
     */
    public String replay(long seq, boolean remove) throws IOException, JetStreamApiException {
        MessageInfo mi = show(seq);
        String subject = header(mi, HeaderNames.DLQ_ORIGINAL_SUBJECT);
        if (subject == null) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE,
                    "dead letter " + seq + " does not say where it was sent (no "
                            + HeaderNames.DLQ_ORIGINAL_SUBJECT + " header)");
        }
        Subjects.Attribution sender = refuseForeignDestination(seq, subject);
        Envelope original;
        try {
            original = EnvelopeCodec.decode(mi.getData());
        } catch (OrgmeshException e) {
            throw new OrgmeshException(e.code(),
                    "dead letter " + seq + " is not a valid envelope, so it cannot be replayed: " + e.getMessage());
        }
        if (!sender.sender().equals(original.from())) {
            throw new OrgmeshException(ErrorCode.DEAD_LETTER_REPLAY_REFUSED, "dead letter " + seq + " says it is from '"
                    + original.from() + "' but was sent by '" + sender.sender() + "' (" + subject
                    + "): a forgery is not replayed");
        }
        storedOriginal(seq, mi, subject);
        Envelope replay = original.toBuilder()
                .id(Ids.next())
                .extra("replay_of",
                        JsonNodeFactory.instance.textNode(original.id() == null ? "dlq-" + seq : original.id()))
                .build();
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, replay.id());
        PublishAck ack = js
                .publish(NatsMessage.builder().subject(subject).headers(h).data(EnvelopeCodec.encode(replay)).build());
        if (remove) {
            jsm.deleteMessage(subjects.dlqStream(), seq);
        }
        return replay.id() + " to " + subject + " (stream " + ack.getStream() + ", seq " + ack.getSeqno() + ")";
    }

    /**
     * A dead letter's headers are written by whoever filed it (agents dead-letter what they cannot handle), and the
     * replay publishes with the caller's credentials, the operator's included. So a replay goes only where a
     * member's message goes, as carried (ADR 0010): a DM ({@code {co}.dm.{member}.{from}}), a role's task queue
     * ({@code {co}.tasks.{role}.{from}}), a team or the company ({@code {co}.{team}.{from}}, {@code {co}.all.{from}})
     * — never the JetStream API, a KV bucket, an approval decision, a hold, an ask or another company. Returns the
     * destination's contract subject and sender.
     */
    Subjects.Attribution refuseForeignDestination(long seq, String subject) {
        String co = subjects.company();
        Subjects.Attribution a = subjects.attribution(subject).orElse(null);
        String kind = a == null ? "" : a.contract().substring(co.length() + 1);
        boolean message = a != null && (kind.startsWith("dm.") || kind.startsWith("tasks.") || kind.equals("all")
                || !kind.contains(".") && !Subjects.RESERVED.contains(kind));
        if (!message) {
            throw new OrgmeshException(ErrorCode.DEAD_LETTER_REPLAY_REFUSED, "dead letter " + seq + " names " + subject
                    + " as where it was sent; a replay goes only to a DM, task queue, team or company subject of "
                    + co + " with its sender, so it is not replayed");
        }
        return a;
    }

    /**
     * The server's own copy of a dead letter's original ({@link HeaderNames#DLQ_STORED_AT}): it must
     * still be stored, in one of the company's streams, on {@code subject}, with the dead letter's bytes. Throws
     * {@code DEAD_LETTER_REPLAY_REFUSED} naming what does not match.
     */
    void storedOriginal(long seq, MessageInfo letter, String subject) {
        DeadLetters.storedProblem(jsm, subjects.assetPrefix(), header(letter, HeaderNames.DLQ_STORED_AT), subject,
                letter.getData()).ifPresent(p -> {
                    throw new OrgmeshException(ErrorCode.DEAD_LETTER_REPLAY_REFUSED, "dead letter " + seq
                            + ": its original cannot be checked against the server's copy — " + p
                            + "; it is not replayed");
                });
    }

    private static Row row(MessageInfo mi) {
        String id = null;
        try {
            id = EnvelopeCodec.decode(mi.getData()).id();
        } catch (RuntimeException e) {
            // not an envelope: that is often why it is here
        }
        return new Row(mi.getSeq(), mi.getTime() == null ? null : mi.getTime().toInstant(),
                header(mi, HeaderNames.DLQ_ORIGINAL_SUBJECT),
                header(mi, HeaderNames.DLQ_CODE),
                header(mi, HeaderNames.DLQ_REASON), id);
    }

    static String header(MessageInfo mi, String name) {
        return mi.getHeaders() == null ? null : mi.getHeaders().getFirst(name);
    }
}
