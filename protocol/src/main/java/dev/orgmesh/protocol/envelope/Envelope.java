package dev.orgmesh.protocol.envelope;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.Ids;

/**
 * The message every orgmesh member sends (protocol/README.md): the seed's fields with the seed's snake_case names, plus
 * the runtime-maintained {@code hops} and {@code chain}. Fields the model does not know are kept verbatim in
 * {@link #extra()} so a message passes through orgmesh unchanged. Decode and encode with {@link EnvelopeCodec}.
 *
 * @param id unique id; also sent as {@code Nats-Msg-Id}. {@code null} until {@link #withIdIfAbsent()}
 * @param from the sender's member id
 * @param to a member id, {@code team:<id>}, {@code role:<role>} or {@code all}
 * @param type task, report, question, answer, escalation, event, heartbeat, status, … (open set)
 * @param subject a short title
 * @param priority urgency, {@code null} when not given (treated as normal)
 * @param context free text background
 * @param deadline when a report is due, as the sender wrote it (a date or an instant); see {@link Deadlines}
 * @param re what this answers (usually the id of the original)
 * @param thread the conversation this belongs to (the id of its first message)
 * @param status e.g. {@code complete}, {@code blocked}, {@code failed}
 * @param recommendation e.g. {@code proceed}
 * @param summary free text
 * @param breakingChanges list of free text lines
 * @param artifacts references to artifacts ({@code r2://…}, {@code obj://…})
 * @param artifactPath a single artifact reference, as in the seed's task
 * @param hops how many hand-offs led to this message
 * @param chain who handled the thread so far, oldest first
 * @param ts when it was sent
 * @param extra every other field, verbatim and in order
 */
public record Envelope(
        String id,
        String from,
        String to,
        String type,
        String subject,
        Priority priority,
        String context,
        String deadline,
        String re,
        String thread,
        String status,
        String recommendation,
        String summary,
        List<String> breakingChanges,
        List<String> artifacts,
        String artifactPath,
        int hops,
        List<String> chain,
        Instant ts,
        Map<String, JsonNode> extra) {

    public Envelope {
        breakingChanges = breakingChanges == null ? null : List.copyOf(breakingChanges);
        artifacts = artifacts == null ? null : List.copyOf(artifacts);
        chain = chain == null ? List.of() : List.copyOf(chain);
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        if (hops < 0) {
            throw new IllegalArgumentException("hops must be >= 0, got " + hops);
        }
    }

    /** A builder for a new message. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this message's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** This message with a generated id when it has none, and a timestamp when it has none. */
    public Envelope withIdIfAbsent() {
        if (id != null && ts != null) {
            return this;
        }
        return toBuilder().id(id != null ? id : Ids.next()).ts(ts != null ? ts : Instant.now()).build();
    }

    /** The thread this message belongs to: its {@code thread}, else its own id. */
    public String threadOrId() {
        return thread != null ? thread : id;
    }

    /** Priority with the default applied. */
    public Priority priorityOrNormal() {
        return priority != null ? priority : Priority.NORMAL;
    }

    /**
     * Starts a message answering this one: addressed back to the sender, {@code re} = this id, same thread,
     * {@code hops} + 1, and this sender appended to {@code chain}.
     */
    public Builder reply(String replier, String replyType) {
        return followUp(replier, replyType).to(from);
    }

    /** A report answering this message (type {@code report}). */
    public Builder report(String reporter, String reportStatus, String reportSummary) {
        return reply(reporter, "report").status(reportStatus).summary(reportSummary).subject(subject);
    }

    /**
     * An escalation of this message to {@code manager}: type {@code escalation}, priority high, the reason in
     * {@code context}, and the original attached under {@code original} so the manager has the whole story.
     */
    public Builder escalation(String escalator, String manager, String reason, JsonNode originalJson) {
        Builder b = followUp(escalator, "escalation").to(manager)
                .priority(Priority.HIGH)
                .subject("Escalation: " + (subject != null ? subject : type))
                .context(reason);
        if (originalJson != null) {
            b.extra("original", originalJson);
        }
        return b;
    }

    /** Starts any message that continues this thread (no recipient set). */
    public Builder followUp(String sender, String followType) {
        List<String> nextChain = new ArrayList<>(chain);
        if (from != null && (nextChain.isEmpty() || !nextChain.getLast().equals(from))) {
            nextChain.add(from);
        }
        return builder().id(Ids.next())
                .from(sender)
                .type(followType)
                .re(id)
                .thread(threadOrId())
                .hops(hops + 1)
                .chain(nextChain)
                .ts(Instant.now());
    }

    /** Mutable builder; {@link #build()} makes the immutable record. */
    public static final class Builder {
        private String id;
        private String from;
        private String to;
        private String type;
        private String subject;
        private Priority priority;
        private String context;
        private String deadline;
        private String re;
        private String thread;
        private String status;
        private String recommendation;
        private String summary;
        private List<String> breakingChanges;
        private List<String> artifacts;
        private String artifactPath;
        private int hops;
        private List<String> chain;
        private Instant ts;
        private final Map<String, JsonNode> extra = new LinkedHashMap<>();

        private Builder() {
        }

        private Builder(Envelope e) {
            id = e.id;
            from = e.from;
            to = e.to;
            type = e.type;
            subject = e.subject;
            priority = e.priority;
            context = e.context;
            deadline = e.deadline;
            re = e.re;
            thread = e.thread;
            status = e.status;
            recommendation = e.recommendation;
            summary = e.summary;
            breakingChanges = e.breakingChanges;
            artifacts = e.artifacts;
            artifactPath = e.artifactPath;
            hops = e.hops;
            chain = e.chain;
            ts = e.ts;
            extra.putAll(e.extra);
        }

        public Builder id(String v) {
            id = v;
            return this;
        }

        public Builder from(String v) {
            from = v;
            return this;
        }

        public Builder to(String v) {
            to = v;
            return this;
        }

        public Builder type(String v) {
            type = v;
            return this;
        }

        public Builder subject(String v) {
            subject = v;
            return this;
        }

        public Builder priority(Priority v) {
            priority = v;
            return this;
        }

        public Builder context(String v) {
            context = v;
            return this;
        }

        public Builder deadline(String v) {
            deadline = v;
            return this;
        }

        public Builder re(String v) {
            re = v;
            return this;
        }

        public Builder thread(String v) {
            thread = v;
            return this;
        }

        public Builder status(String v) {
            status = v;
            return this;
        }

        public Builder recommendation(String v) {
            recommendation = v;
            return this;
        }

        public Builder summary(String v) {
            summary = v;
            return this;
        }

        public Builder breakingChanges(List<String> v) {
            breakingChanges = v;
            return this;
        }

        public Builder artifacts(List<String> v) {
            artifacts = v;
            return this;
        }

        public Builder artifactPath(String v) {
            artifactPath = v;
            return this;
        }

        public Builder hops(int v) {
            hops = v;
            return this;
        }

        public Builder chain(List<String> v) {
            chain = v;
            return this;
        }

        public Builder ts(Instant v) {
            ts = v;
            return this;
        }

        /** Sets a field the model does not define; it is written after the known fields. */
        public Builder extra(String name, JsonNode value) {
            Objects.requireNonNull(name, "name");
            if (EnvelopeCodec.KNOWN_FIELDS.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is an envelope field; use its setter");
            }
            extra.put(name, value);
            return this;
        }

        public Envelope build() {
            return new Envelope(id, from, to, type, subject, priority, context, deadline, re, thread, status,
                    recommendation, summary, breakingChanges, artifacts, artifactPath, hops, chain, ts, extra);
        }
    }
}
