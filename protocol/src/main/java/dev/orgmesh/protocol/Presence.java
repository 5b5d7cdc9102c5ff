package dev.orgmesh.protocol;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * A liveness beacon: the value an agent puts under its id in the presence bucket every {@code interval}. An agent is
 * down once {@value #MISSED_BEACONS} of its own intervals pass without one, or when it says it is stopping
 * ({@link #liveness}): the heartbeat service pages on that rule and {@code orgmesh status} shows it.
 *
 * @param member the agent's id
 * @param ts when the beacon was sent
 * @param intervalMs how often the agent beacons, in milliseconds; the watcher uses the agent's own interval
 * @param status {@code up}, or {@code stopping} on an orderly shutdown
 */
public record Presence(String member, Instant ts, long intervalMs, String status) {
    /** Beacon intervals an agent may miss before it is down. */
    public static final int MISSED_BEACONS = 3;

    /** An agent's liveness; {@code UNKNOWN} when no beacon of it has been seen. */
    public enum Liveness {
        UNKNOWN, UP, DOWN
    }

    public Duration interval() {
        return Duration.ofMillis(intervalMs);
    }

    /**
     * What this beacon says at {@code now}: {@code DOWN} when it is older than {@value #MISSED_BEACONS} intervals or
     * the agent said it is stopping, else {@code UP}.
     */
    public Liveness liveness(Instant now) {
        boolean stale = now.isAfter(ts.plus(interval().multipliedBy(MISSED_BEACONS)));
        return stale || "stopping".equals(status) ? Liveness.DOWN : Liveness.UP;
    }

    public byte[] encode() {
        return Json.write(this);
    }

    /** Decodes a beacon; throws {@code ENVELOPE_MALFORMED_JSON} naming the problem. */
    public static Presence decode(byte[] value) {
        try {
            Presence p = Json.mapper().readValue(value, Presence.class);
            if (p.member() == null || p.ts() == null || p.intervalMs() <= 0) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_MISSING_FIELD,
                        "presence needs member, ts and a positive interval_ms");
            }
            return p;
        } catch (IOException e) {
            String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON, "malformed presence value: " + m, e);
        }
    }
}
