package dev.orgmesh.agent.brain;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * Turns what a brain wrote (a JSON object per message, as a rules file, an agent CLI or a model produce it) into
 * envelopes answering the message being handled. Fields left out get the defaults of a reply: {@code to} the sender,
 * {@code type} {@code report}, {@code re} the message's id, its {@code subject}. {@code from}, {@code id},
 * {@code hops}, {@code chain} and {@code thread} are the runtime's (whatever is written there is replaced or
 * completed when the message is sent).
 */
public final class Drafts {
    private static final Set<String> OUTCOME_STATUSES = Set.of("blocked", "failed");

    private Drafts() {
    }

    /** One envelope from {@code draft}, answering {@code in}. Throws {@code ENVELOPE_*} for wrong field types. */
    public static Envelope envelope(ObjectNode draft, Envelope in) {
        ObjectNode o = draft.deepCopy();
        putIfAbsent(o, "to", in.from());
        putIfAbsent(o, "type", "report");
        putIfAbsent(o, "re", in.id());
        putIfAbsent(o, "subject", in.subject());
        o.remove(List.of("from", "id", "hops", "chain", "ts"));
        // a template that rendered empty means "leave the field out"
        List<String> empty = new ArrayList<>();
        o.properties().forEach(e -> {
            if (e.getValue().isNull() || e.getValue().isTextual() && e.getValue().textValue().isEmpty()) {
                empty.add(e.getKey());
            }
        });
        o.remove(empty);
        return EnvelopeCodec.fromTree(o);
    }

    /**
     * The outcome of a brain's JSON answer: an object (one message), an array (several; the first is the reply), an
     * object {@code {"status": "blocked"|"failed", "summary": …}} without a {@code type} (the brain cannot go on), or
     * nothing ({@code null}, an empty array).
     */
    public static Outcome outcome(JsonNode answer, Envelope in) {
        if (answer == null || answer.isNull() || answer.isMissingNode()) {
            return Outcome.nothing();
        }
        if (answer.isObject() && !answer.has("type") && OUTCOME_STATUSES.contains(answer.path("status").asText())) {
            String reason = firstText(answer, "summary", "reason", "context");
            return answer.path("status").asText().equals("blocked")
                    ? Outcome.blocked(reason)
                    : Outcome.failed(reason);
        }
        List<Envelope> out = new ArrayList<>();
        if (answer.isObject()) {
            out.add(envelope((ObjectNode) answer, in));
        } else if (answer.isArray()) {
            for (JsonNode item : answer) {
                if (!item.isObject()) {
                    throw new OrgmeshException(ErrorCode.ENVELOPE_NOT_AN_OBJECT,
                            "every message in the answer must be a JSON object, got " + item.getNodeType());
                }
                out.add(envelope((ObjectNode) item, in));
            }
        } else {
            throw new OrgmeshException(ErrorCode.ENVELOPE_NOT_AN_OBJECT,
                    "the answer must be a JSON object or an array of objects, got " + answer.getNodeType());
        }
        if (out.isEmpty()) {
            return Outcome.nothing();
        }
        return new Outcome.Reply(out.getFirst(), out.subList(1, out.size()));
    }

    private static String firstText(JsonNode n, String... fields) {
        for (String f : fields) {
            if (n.hasNonNull(f) && !n.get(f).asText().isBlank()) {
                return n.get(f).asText();
            }
        }
        return "(no reason given)";
    }

    private static void putIfAbsent(ObjectNode o, String field, String value) {
        if (!o.has(field) && value != null) {
            o.put(field, value);
        }
    }
}
