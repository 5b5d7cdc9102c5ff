package dev.orgmesh.protocol;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * A liveness beacon: the value an agent puts under its id in the presence bucket every {@code interval}. The
 * heartbeat service marks an agent down after three intervals without one.
 *
 * @param member the agent's id
 * @param ts when the beacon was sent
 * @param intervalMs how often the agent beacons, in milliseconds; the watcher uses the agent's own interval
 * @param status {@code up}, or {@code stopping} on an orderly shutdown
 */
public record Presence(String member, Instant ts, long intervalMs, String status) {
    public Duration interval() {
        return Duration.ofMillis(intervalMs);
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
