package dev.orgmesh.protocol.org;

import java.util.Set;
import java.util.stream.Collectors;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.Recipient;

/**
 * Where an outgoing envelope is published, from its {@code to}. A recipient the org does not have is refused here,
 * by the sender's runtime: the interest-retention inbox would otherwise keep the message for nobody (ADR 0002).
 */
public final class Router {
    private final Org org;
    private final Subjects subjects;
    /** Every member's and role's id: looked up for every message sent (the org's own lookups walk its lists). */
    private final Set<String> members;
    private final Set<String> roles;

    public Router(Org org) {
        this.org = org;
        this.subjects = org.subjects();
        this.members = org.members().stream().map(Member::id).collect(Collectors.toUnmodifiableSet());
        this.roles = Set.copyOf(org.roles());
    }

    /**
     * The subject for {@code e}, with its {@code from} as the sender token (ADR 0010); throws {@code ENVELOPE_BAD_VALUE}
     * naming an unknown member, team or role.
     */
    public String subjectFor(Envelope e) {
        Recipient r = Recipient.parse(e.to());
        boolean known = switch (r.kind()) {
            case MEMBER -> members.contains(r.id());
            case TEAM -> org.teams().containsKey(r.id());
            case ROLE -> roles.contains(r.id());
            case ALL, EVENT -> true;
        };
        if (!known) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE,
                    "field 'to' is '" + e.to() + "': no such " + r.kind().name().toLowerCase() + " in org "
                            + org.company());
        }
        return subjects.attribute(r.subject(subjects), e.from());
    }
}
