package dev.orgmesh.agent.brain;

import java.time.Duration;

/**
 * Thrown by a handler that could not do its work now but may later (a model endpoint is rate-limiting, a tool is
 * down): the runtime naks the message with {@link #retryAfter()} instead of counting it as a failure of the message
 * itself. Redeliveries still count towards {@code max_deliver}.
 */
public class TransientException extends RuntimeException {
    private final Duration retryAfter;

    public TransientException(String message) {
        this(message, null, null);
    }

    /**
     * @param retryAfter how long to wait before the redelivery, or {@code null} for the runtime's backoff
     */
    public TransientException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    /** The requested delay before redelivery, or {@code null}. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
