package dev.orgmesh.protocol.org;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.cronutils.model.time.ExecutionTime;

/**
 * When one agent's heartbeats fall, computed from its {@link HeartbeatSpec} with no clock of its own: callers pass
 * the instant to compute from, so tests can walk through a daylight-saving day without waiting for one.
 *
 * <p>Rules:
 * <ul>
 * <li>{@code every}: slots are aligned to the epoch (slot {@code n} at {@code n × every}), so every heartbeat
 * instance computes the same slots and names them the same.</li>
 * <li>{@code cron}: evaluated on the wall clock of {@code tz}. Each local date-time the expression selects is one slot,
 * mapped to exactly one instant: a time that falls in a spring-forward gap fires right after the gap (not skipped),
 * a time that occurs twice in a fall-back overlap fires at its first occurrence (not doubled).</li>
 * <li>{@code active_hours}: slots whose local time in {@code tz} lies outside the window are skipped.</li>
 * </ul>
 */
public final class Schedule {
    /** How far ahead {@link #next} searches before deciding that no slot will ever come (e.g. Feb 30th). */
    static final Duration HORIZON = Duration.ofDays(366 * 2);

    /** Parsed cron expressions by text: parsing is slow and thousands of agents share a handful of expressions. */
    private static final Map<String, ExecutionTime> EXECUTION_TIMES = new ConcurrentHashMap<>();

    private final HeartbeatSpec spec;
    private final ExecutionTime cron;

    public Schedule(HeartbeatSpec spec) {
        this.spec = spec;
        this.cron = spec.cron() == null
                ? null
                : EXECUTION_TIMES.computeIfAbsent(spec.cron(), c -> ExecutionTime.forCron(Crons.parse(c)));
        if (spec.enabled() && spec.cron() == null
                && (spec.every() == null || spec.every().isZero() || spec.every().isNegative())) {
            throw new IllegalArgumentException("a heartbeat needs 'every' or 'cron'");
        }
    }

    public HeartbeatSpec spec() {
        return spec;
    }

    /** The first slot strictly after {@code after}, or empty when heartbeats are off or none will come. */
    public Optional<Slot> next(Instant after) {
        if (!spec.enabled()) {
            return Optional.empty();
        }
        Instant limit = after.plus(HORIZON);
        Optional<Slot> candidate = rawNext(after);
        while (candidate.isPresent() && candidate.get().at().isBefore(limit)) {
            if (inWindow(candidate.get().at())) {
                return candidate;
            }
            candidate = rawNext(skipTarget(candidate.get().at()));
        }
        return Optional.empty();
    }

    /**
     * The latest slot at or before {@code now} and strictly after {@code since} — the one a scheduler owes after
     * being away (misfire policy: one tick for the most recent missed slot, never a burst).
     */
    public Optional<Slot> latestDue(Instant since, Instant now) {
        Optional<Slot> latest = Optional.empty();
        Optional<Slot> s = next(since);
        int guard = 0;
        while (s.isPresent() && !s.get().at().isAfter(now)) {
            latest = s;
            if (++guard > 100_000) {
                break;
            }
            s = next(s.get().at());
        }
        return latest;
    }

    private boolean inWindow(Instant at) {
        ActiveHours hours = spec.activeHours();
        return hours == null || hours.contains(at.atZone(spec.tz()).toLocalTime());
    }

    /** Where to continue after a slot outside active hours: the next window start (for intervals), else the slot. */
    private Instant skipTarget(Instant outside) {
        ActiveHours hours = spec.activeHours();
        if (cron != null || hours == null) {
            return outside;
        }
        ZonedDateTime local = outside.atZone(spec.tz());
        ZonedDateTime start = local.with(hours.start());
        if (!start.isAfter(local)) {
            start = start.plusDays(1);
        }
        Instant justBefore = start.toInstant().minusNanos(1);
        return justBefore.isAfter(outside) ? justBefore : outside;
    }

    private Optional<Slot> rawNext(Instant after) {
        if (cron == null) {
            long every = spec.every().toMillis();
            long n = Math.floorDiv(after.toEpochMilli(), every) + 1;
            return Optional.of(new Slot("e" + n, Instant.ofEpochMilli(n * every)));
        }
        ZoneId zone = spec.tz();
        // Evaluate the expression on the wall clock (as if it were UTC, which has no DST), then map the local
        // date-time to one instant in the real zone.
        LocalDateTime localAfter = LocalDateTime.ofInstant(after, zone);
        LocalDateTime cursor = localAfter;
        for (int i = 0; i < 4; i++) {
            Optional<ZonedDateTime> wall = cron.nextExecution(cursor.atZone(ZoneOffset.UTC));
            if (wall.isEmpty()) {
                return Optional.empty();
            }
            LocalDateTime local = wall.get().toLocalDateTime();
            Instant at = ZonedDateTime.ofLocal(local, zone, null).toInstant();
            if (at.isAfter(after)) {
                return Optional.of(new Slot("c" + local, at));
            }
            // a fall-back overlap: this local time already fired at its first occurrence
            cursor = local;
        }
        return Optional.empty();
    }
}
