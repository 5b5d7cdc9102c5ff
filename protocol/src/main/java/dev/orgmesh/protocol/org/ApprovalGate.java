package dev.orgmesh.protocol.org;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An approval gate of the org file: a message that matches is held, durably, before delivery until a human approves
 * or denies it, or the gate's timeout applies its {@link OnTimeout} behaviour.
 *
 * <pre>
 * approvals:
 *   - id: prod-deploys
 *     match: { type: task, to: "role:role-devops", priority: [high, urgent] }
 *     approvers: [board]
 *     timeout: 2h
 *     on_timeout: escalate          # deny | approve | escalate
 * </pre>
 *
 * @param id gate id, shown to the approvers
 * @param match what the gate holds
 * @param approvers humans who are asked (DM) and may decide
 * @param timeout how long a held message waits for a decision
 * @param onTimeout what happens when nobody decides in time
 */
public record ApprovalGate(String id, Match match, List<String> approvers, Duration timeout, OnTimeout onTimeout) {

    public ApprovalGate {
        approvers = List.copyOf(approvers);
    }

    /** What a gate does when its timeout passes. Always applied and reported, never silent. */
    public enum OnTimeout {
        /** Refuse the message; the sender and approvers are told. */
        DENY,
        /** Deliver the message; the approvers are told it went through without a decision. */
        APPROVE,
        /** Keep holding and escalate to every human (and the recipient's manager); a human still decides. */
        ESCALATE;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static OnTimeout parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Matching rules; an empty set matches anything, several values in one set are alternatives, and every non-empty
     * set must match.
     *
     * @param types envelope {@code type}s
     * @param from sender member ids
     * @param to recipients as written in the envelope's {@code to} ({@code cto-athena}, {@code team:exec},
     *        {@code role:role-backend}, {@code all})
     * @param priorities envelope priorities
     * @param teams the recipient agent's team
     */
    public record Match(Set<String> types, Set<String> from, Set<String> to, Set<String> priorities,
            Set<String> teams) {
        public Match {
            types = Set.copyOf(types);
            from = Set.copyOf(from);
            to = Set.copyOf(to);
            priorities = Set.copyOf(priorities);
            teams = Set.copyOf(teams);
        }

        /** Whether a message with these fields, arriving at an agent of {@code recipientTeam}, is held. */
        public boolean matches(String type, String sender, String recipient, String priority, String recipientTeam) {
            return in(types, type) && in(from, sender) && in(to, recipient)
                    && in(priorities, priority == null ? "normal" : priority) && in(teams, recipientTeam);
        }

        private static boolean in(Set<String> set, String v) {
            return set.isEmpty() || (v != null && set.contains(v));
        }
    }
}
