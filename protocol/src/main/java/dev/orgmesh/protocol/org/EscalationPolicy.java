package dev.orgmesh.protocol.org;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How the org's escalations behave (org file {@code escalation:}, docs/oversight.md "Escalation ladder"): a request or
 * task nobody answered climbs the {@code reports_to} chain one level per {@code step_timeout} until a human is told;
 * and what an agent does with a task that reaches it already past its deadline.
 *
 * @param stepTimeout how long each step of an escalation waits for an answer (a message with {@code re} = the task or
 *        one of its escalations) before the next level up is told
 * @param lateTasks what an agent does with a message that arrives past its {@code deadline}
 */
public record EscalationPolicy(Duration stepTimeout, LateTasks lateTasks) {
    /** 30 minutes a step. */
    public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofMinutes(30);
    /** 30 minutes a step; late tasks are worked and flagged late. */
    public static final EscalationPolicy DEFAULT = new EscalationPolicy(DEFAULT_STEP_TIMEOUT, LateTasks.WORK);

    public EscalationPolicy {
        Objects.requireNonNull(stepTimeout, "stepTimeout");
        Objects.requireNonNull(lateTasks, "lateTasks");
        if (stepTimeout.isNegative() || stepTimeout.isZero()) {
            throw new IllegalArgumentException("step_timeout must be positive, got " + stepTimeout);
        }
    }

    /** What an agent does with a message that arrives already past its deadline. */
    public enum LateTasks {
        /** Handled as usual; what the agent sends about it (replies, escalations) is flagged {@code late: true}. */
        WORK,
        /** Not given to the brain: escalated to the agent's manager with the reason ({@code OM-4003}). */
        ESCALATE;

        /** {@code work} or {@code escalate}, as the org file writes it. */
        public static LateTasks parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "work" -> WORK;
                case "escalate" -> ESCALATE;
                default -> throw new IllegalArgumentException("unknown late_tasks '" + s + "'");
            };
        }

        /** As the org file writes it. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
