package dev.orgmesh.protocol.org;

import java.time.Duration;
import java.time.ZoneId;

/**
 * When an agent's heartbeat fires. Exactly one of {@code every} and {@code cron} is set when enabled.
 *
 * @param enabled {@code false} turns heartbeats off for this agent
 * @param every fixed interval, aligned to the epoch in {@code tz} so every instance computes the same slots
 * @param cron a 5-field (minute precision) or 6-field (seconds first) cron expression
 * @param activeHours optional daily window; ticks outside it are skipped
 * @param tz the zone {@code cron} and {@code activeHours} are read in
 * @param prompt what the tick asks the agent to do
 */
public record HeartbeatSpec(boolean enabled, Duration every, String cron, ActiveHours activeHours, ZoneId tz,
        String prompt) {
    /** The prompt used when none is configured. */
    public static final String DEFAULT_PROMPT = "Read HEARTBEAT.md and follow it. If nothing needs attention, do nothing.";
}
