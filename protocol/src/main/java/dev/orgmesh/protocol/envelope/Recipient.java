package dev.orgmesh.protocol.envelope;

import java.util.regex.Pattern;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;

/**
 * The parsed {@code to} field: a member, a team ({@code team:exec}), a role group ({@code role:role-backend}), the
 * whole company ({@code all}) or an event type ({@code event:deployment}, published to {@code {co}.events.{type}} for
 * whoever subscribes). {@link #subject(Subjects)} says where such a message is published.
 *
 * @param kind which of the five
 * @param id the member, team or role id, or the event type; {@code null} for {@link Kind#ALL}
 */
public record Recipient(Kind kind, String id) {
    /** An event type: dot-separated tokens ({@code deployment}, {@code security.scan}). */
    public static final Pattern EVENT_TYPE = Pattern.compile("[a-z0-9][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*");

    /** The five kinds of address. */
    public enum Kind {
        MEMBER, TEAM, ROLE, ALL, EVENT
    }

    /** Parses a {@code to} value; throws {@code ENVELOPE_BAD_VALUE} naming the problem. */
    public static Recipient parse(String to) {
        if (to == null || to.isBlank()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_MISSING_FIELD, "field 'to' is empty");
        }
        if (to.equals("all")) {
            return new Recipient(Kind.ALL, null);
        }
        if (to.startsWith("event:")) {
            String type = to.substring(6);
            if (!EVENT_TYPE.matcher(type).matches()) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE, "field 'to' is '" + to
                        + "'; an event type is dot-separated tokens of [a-z0-9][a-z0-9-]*, e.g. event:deployment");
            }
            return new Recipient(Kind.EVENT, type);
        }
        Kind kind = Kind.MEMBER;
        String id = to;
        if (to.startsWith("team:")) {
            kind = Kind.TEAM;
            id = to.substring(5);
        } else if (to.startsWith("role:")) {
            kind = Kind.ROLE;
            id = to.substring(5);
        }
        if (!Subjects.SAFE_TOKEN.matcher(id).matches()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE, "field 'to' is '" + to
                    + "'; expected a member id, team:<id>, role:<role>, event:<type> or all, with ids of [a-z0-9][a-z0-9-]*");
        }
        return new Recipient(kind, id);
    }

    /** The subject a message to this recipient is published on. */
    public String subject(Subjects s) {
        return switch (kind) {
            case MEMBER -> s.dm(id);
            case TEAM -> s.team(id);
            case ROLE -> s.tasks(id);
            case ALL -> s.all();
            case EVENT -> s.events(id);
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case MEMBER -> id;
            case TEAM -> "team:" + id;
            case ROLE -> "role:" + id;
            case ALL -> "all";
            case EVENT -> "event:" + id;
        };
    }
}
