package dev.orgmesh.messaging.flow;

import java.time.Duration;

/**
 * Exponential backoff between retries: {@code initial}, doubled per attempt, capped at {@code max}.
 *
 * @param initial the pause after the first failure
 * @param max the longest pause
 */
public record Backoff(Duration initial, Duration max) {
    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + ", " + max);
        }
    }

    /** 50 ms doubling to 2 s: quick after a blip, gentle during an outage. */
    public static Backoff defaults() {
        return new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2));
    }

    /** The pause after failed attempt {@code attempt} (1 = the first failure). */
    public Duration delay(int attempt) {
        int shift = Math.min(Math.max(attempt - 1, 0), 30);
        long millis = initial.toMillis() << shift;
        if (millis <= 0 || millis > max.toMillis()) {
            return max;
        }
        return Duration.ofMillis(millis);
    }
}
