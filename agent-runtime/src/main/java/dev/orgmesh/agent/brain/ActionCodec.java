package dev.orgmesh.agent.brain;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.Recipient;
import dev.orgmesh.protocol.org.ActionKind;
import dev.orgmesh.protocol.org.Durations;

/**
 * Reads an action written as JSON, the one form every brain uses (a line of a command's output, the arguments of a
 * model's tool call, a rule of a rules file, a call of the {@code orgmesh} tool):
 *
 * <pre>
 * {"action": "send",     "to": "cto-athena" | "team:exec" | "all", "type": "report", "subject": …, "summary": …}
 * {"action": "enqueue",  "role": "role-backend", "subject": …, "context": …, "deadline": "2d"}
 * {"action": "publish",  "event": "deployment", "subject": …, "context": …}
 * {"action": "ask",      "to": "security-argus", "subject": …, "context": …, "timeout": "30s"}
 * {"action": "secret",   "name": "GITHUB_TOKEN"}
 * {"action": "artifact", "path": "reports/scan.md", "content": "# Scan"}
 * {"action": "escalate", "reason": "the repository is archived; I need a decision"}
 * </pre>
 *
 * Message fields besides the action's own are envelope fields ({@link Drafts}: {@code to} defaults to the sender of
 * the message being handled, {@code type} to {@code report}, {@code re} to its id). Every problem is an
 * {@code ACTION_*} error naming the field.
 */
public final class ActionCodec {
    /** Fields of an action that are not envelope fields. */
    private static final Set<String> ACTION_FIELDS = Set.of("action", "role", "event", "timeout", "name", "path",
            "content", "reason");

    private ActionCodec() {
    }

    /** The action {@code json} describes, while handling {@code in}. */
    public static Action read(JsonNode json, Envelope in) {
        if (json == null || !json.isObject()) {
            throw malformed("an action must be a JSON object such as {\"action\": \"send\", \"to\": \"...\"}, got "
                    + (json == null ? "nothing" : json.getNodeType()));
        }
        String name = json.path("action").asText(null);
        if (name == null || !json.get("action").isTextual()) {
            throw malformed("field 'action' is missing; one of " + ActionKind.names());
        }
        ActionKind kind = ActionKind.parse(name).orElseThrow(() -> new OrgmeshException(ErrorCode.ACTION_UNKNOWN,
                "unknown action '" + name + "'; one of " + ActionKind.names()));
        ObjectNode o = (ObjectNode) json;
        return switch (kind) {
            case SEND -> {
                Envelope e = draft(o, in);
                Recipient r = recipient(e.to());
                if (r.kind() == Recipient.Kind.ROLE || r.kind() == Recipient.Kind.EVENT) {
                    throw malformed("field 'to' is '" + e.to() + "': use the enqueue action for a role's queue and"
                            + " publish for an event");
                }
                yield new Action.Send(e);
            }
            case ENQUEUE -> {
                String role = token(o, "role");
                ObjectNode d = withoutActionFields(o);
                d.put("to", "role:" + role);
                if (!d.has("type")) {
                    d.put("type", "task");
                }
                yield new Action.Enqueue(role, draftOf(d, in));
            }
            case PUBLISH -> {
                String type = text(o, "event");
                if (!Recipient.EVENT_TYPE.matcher(type).matches()) {
                    throw malformed("field 'event' is '" + type
                            + "'; an event type is dot-separated tokens of [a-z0-9][a-z0-9-]*, e.g. deployment");
                }
                ObjectNode d = withoutActionFields(o);
                d.put("to", "event:" + type);
                d.put("type", "event");
                if (!d.has("subject")) {
                    d.put("subject", type);
                }
                d.remove("re");
                yield new Action.Publish(type, draftOf(d, in));
            }
            case ASK -> {
                Envelope e = draft(o, in);
                Recipient r = recipient(e.to());
                if (r.kind() != Recipient.Kind.MEMBER) {
                    throw malformed("field 'to' is '" + e.to() + "': only a member can be asked");
                }
                Duration timeout = null;
                if (o.hasNonNull("timeout")) {
                    try {
                        timeout = Durations.parse(o.get("timeout").asText());
                    } catch (IllegalArgumentException x) {
                        throw malformed("field 'timeout': " + x.getMessage());
                    }
                }
                ObjectNode q = withoutActionFields(o);
                if (!q.has("type")) {
                    q.put("type", "question");
                }
                yield new Action.Ask(r.id(), draftOf(q, in), timeout);
            }
            case SECRET -> new Action.Secret(text(o, "name"));
            case ARTIFACT -> new Action.Artifact(text(o, "path"), o.path("content").isTextual()
                    ? o.get("content").textValue()
                    : throwing("field 'content' must be text"));
            case ESCALATE -> new Action.Escalate(text(o, "reason"));
        };
    }

    /** The names of the envelope fields a message action takes (for tool descriptions). */
    public static List<String> messageFields() {
        return List.of("to", "type", "subject", "summary", "context", "priority", "deadline", "status",
                "recommendation", "artifacts");
    }

    private static Envelope draft(ObjectNode o, Envelope in) {
        return draftOf(withoutActionFields(o), in);
    }

    private static Envelope draftOf(ObjectNode d, Envelope in) {
        try {
            return Drafts.envelope(d, in);
        } catch (OrgmeshException e) {
            throw malformed(e.getMessage());
        }
    }

    private static ObjectNode withoutActionFields(ObjectNode o) {
        ObjectNode d = o.deepCopy();
        d.remove(ACTION_FIELDS);
        return d;
    }

    private static Recipient recipient(String to) {
        try {
            return Recipient.parse(to);
        } catch (OrgmeshException e) {
            throw malformed(e.getMessage());
        }
    }

    private static String text(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull() || !v.isTextual() || v.textValue().isBlank()) {
            throw malformed("field '" + field + "' is required (text) for action '" + o.get("action").asText()
                    + "'");
        }
        return v.textValue();
    }

    private static String token(ObjectNode o, String field) {
        String v = text(o, field);
        String id = v.startsWith("role:") ? v.substring(5) : v;
        if (!Subjects.SAFE_TOKEN.matcher(id).matches()) {
            throw malformed("field '" + field + "' is '" + v + "'; expected an id of [a-z0-9][a-z0-9-]*");
        }
        return id;
    }

    private static String throwing(String message) {
        throw malformed(message);
    }

    private static OrgmeshException malformed(String message) {
        return new OrgmeshException(ErrorCode.ACTION_MALFORMED, message);
    }

    /** The action named in {@code json}, if it names a known one (for results of actions that could not be read). */
    public static String nameOf(JsonNode json) {
        return Optional.ofNullable(json).map(j -> j.path("action").asText(null)).orElse("?");
    }
}
