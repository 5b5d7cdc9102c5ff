package dev.orgmesh.agent.ask;

import dev.orgmesh.protocol.envelope.Envelope;

/**
 * What an {@code ask} does when the agent asked does not answer in time (agent-runtime/README.md, "Ask"): never an
 * unbounded wait. The timeout applies to every attempt, so the longest an ask takes is known up front
 * ({@link #attempts()} × timeout).
 */
public sealed interface Fallback {
    /** Fail with {@code REQUEST_TIMEOUT} (or {@code NO_RESPONDERS}). */
    record None() implements Fallback {
    }

    /** Ask the same agent up to {@code times} more times. */
    record Retry(int times) implements Fallback {
        public Retry {
            if (times < 1) {
                throw new IllegalArgumentException("retry times must be >= 1, got " + times);
            }
        }
    }

    /** Ask the target's manager instead, once (a human manager cannot be asked: the ask then fails). */
    record AskManager() implements Fallback {
    }

    /** Answer with {@code answer} instead. */
    record Default(Envelope answer) implements Fallback {
    }

    static Fallback none() {
        return new None();
    }

    static Fallback retry(int times) {
        return new Retry(times);
    }

    static Fallback askManager() {
        return new AskManager();
    }

    static Fallback defaultAnswer(Envelope answer) {
        return new Default(answer);
    }

    /** How many requests this fallback may make at most, the first one included. */
    default int attempts() {
        return switch (this) {
            case Retry r -> 1 + r.times();
            case AskManager m -> 2;
            default -> 1;
        };
    }
}
