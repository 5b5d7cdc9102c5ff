package dev.orgmesh.agent.pipeline;

import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * Who is told when something goes wrong (agent-runtime/README.md, "Escalation and loop guards"), as plain rules:
 * <ul>
 * <li>about this agent's own work (blocked, failed, deadline passed, loop): the agent's manager;</li>
 * <li>about a message the org gave up on (dead letter): the manager of its sender; a human sender (top of the
 * chain) is told directly; an unknown sender means this agent's manager is told.</li>
 * </ul>
 */
public final class Escalations {
    private final Org org;
    private final String self;

    public Escalations(Org org, String self) {
        this.org = org;
        this.self = self;
    }

    /** This agent's manager (agents always have one). */
    public String ownManager() {
        return org.manager(self).map(Member::id).orElseThrow();
    }

    /** Who hears about a dead letter from {@code sender} (may be {@code null}). */
    public String forDeadLetterFrom(String sender) {
        if (sender != null) {
            Optional<Member> m = org.member(sender);
            if (m.isPresent()) {
                return m.get().isHuman() ? sender : org.manager(sender).map(Member::id).orElse(sender);
            }
        }
        return ownManager();
    }

    /**
     * An escalation of {@code about} to {@code manager}, the reason prefixed with the catalogue label. When
     * {@code about} could not be decoded a fresh envelope carries the reason.
     */
    public Envelope escalation(Envelope about, JsonNode original, String manager, ErrorCode code, String reason,
            String id) {
        String text = code.label() + " " + code.name() + ": " + reason;
        Envelope.Builder b = about != null
                ? about.escalation(self, manager, text, original)
                : Envelope.builder().from(self).to(manager).type("escalation")
                        .priority(Priority.HIGH).subject("Escalation: " + code.name())
                        .context(text).ts(Instant.now());
        return b.id(id != null ? id : Ids.next()).build();
    }
}
