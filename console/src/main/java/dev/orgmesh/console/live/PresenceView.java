package dev.orgmesh.console.live;

import java.time.Duration;
import java.time.Instant;

import dev.orgmesh.protocol.Presence;

/**
 * A member's presence as the page shows it, computed from the last beacon in the presence bucket with the rule the
 * heartbeat service uses: up while a beacon is younger than three of the member's own intervals.
 *
 * @param state {@code up}, {@code stopping} (an orderly shutdown was announced), {@code down} (beacons stopped) or
 *        {@code unknown} (never seen)
 * @param lastSeen when the last beacon was sent; null when never seen
 * @param intervalMs the member's beacon interval in milliseconds; 0 when never seen
 */
public record PresenceView(String state, Instant lastSeen, long intervalMs) {
    public static final String UP = "up";
    public static final String STOPPING = "stopping";
    public static final String DOWN = "down";
    public static final String UNKNOWN = "unknown";

    /** Beacons missed before a member counts as down. */
    public static final int MISSED_BEACONS = 3;

    /** The view of {@code beacon} (null when none) at {@code now}. */
    public static PresenceView of(Presence beacon, Instant now) {
        if (beacon == null) {
            return new PresenceView(UNKNOWN, null, 0);
        }
        String state;
        if (STOPPING.equals(beacon.status())) {
            state = STOPPING;
        } else if (Duration.between(beacon.ts(), now).compareTo(beacon.interval().multipliedBy(MISSED_BEACONS)) <= 0) {
            state = UP;
        } else {
            state = DOWN;
        }
        return new PresenceView(state, beacon.ts(), beacon.intervalMs());
    }
}
