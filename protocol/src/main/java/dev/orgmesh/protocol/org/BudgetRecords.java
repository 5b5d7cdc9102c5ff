package dev.orgmesh.protocol.org;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.Subjects;

/**
 * The records of the budgets bucket (docs/oversight.md), defined once for the budget desk that writes them and the
 * console and CLI that read them:
 * <ul>
 * <li>{@code limit.{scope}.{id}} — a human's override of the org file's limits, per measure:
 * {@code {"tokens_per_day":N,"tokens_per_month":N,"usd_per_day":D,"usd_per_month":D}} (a measure left out keeps the
 * file's limit, {@code null} lifts it);</li>
 * <li>{@code spend.{scope}.{id}.{period}} — a counter, {@link Spend}, per day ({@code dYYYYMMDD}) and month
 * ({@code mYYYYMM}), UTC;</li>
 * <li>{@code reservation.{agent}.{id}} — an open reservation, {@link Reservation}, until it is settled.</li>
 * </ul>
 * A scope is {@code agent}, {@code line} (a manager's reporting line), {@code team} or {@code company}.
 */
public final class BudgetRecords {
    /** The measures a limit override may set. */
    public static final List<String> MEASURES = List.of("tokens_per_day", "tokens_per_month", "usd_per_day",
            "usd_per_month");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM");

    private BudgetRecords() {
    }

    /** A counter value: tokens and micro-dollars spent (and reserved) in one period. */
    public record Spend(long tokens, long microUsd) {
        public static final Spend ZERO = new Spend(0, 0);

        /** Adds, never below zero nor past {@link Long#MAX_VALUE} (an overflow must not wrap a counter to zero). */
        public Spend plus(long t, long u) {
            return new Spend(Math.max(0, saturated(tokens, t)), Math.max(0, saturated(microUsd, u)));
        }

        private static long saturated(long a, long b) {
            long r = a + b;
            // overflow when both have the same sign and the result's sign differs
            return ((a ^ r) & (b ^ r)) < 0 ? (b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r;
        }

        /** A counter as read from the bucket ({@link #ZERO} when absent or not a counter). */
        public static Spend of(JsonNode n) {
            if (n == null || !n.isObject()) {
                return ZERO;
            }
            return new Spend(n.path("tokens").asLong(0), n.path("micro_usd").asLong(0));
        }
    }

    /**
     * The value of a {@code reservation.{agent}.{id}} key: the counter keys a reservation took {@code tokens} on, so
     * the settle that follows (maybe on another hub-bootstrap instance) puts the same counters right.
     *
     * @param keys the {@code spend.} keys reserved on
     * @param tokens tokens reserved on each
     */
    public record Reservation(List<String> keys, long tokens) {
        public Reservation {
            keys = keys == null ? List.of() : List.copyOf(keys);
        }
    }

    /** The key of a scope's limit override. */
    public static String limitKey(String scope, String id) {
        return "limit." + Subjects.token(scope) + "." + Subjects.token(id);
    }

    /** The key of a scope's counter for {@code period} ({@link #day} or {@link #month}). */
    public static String spendKey(String scope, String id, String period) {
        return Subjects.spendScope(scope, id) + "." + period;
    }

    /** Where an open reservation is kept. */
    public static String reservationKey(String agent, String id) {
        return "reservation." + Subjects.token(agent) + "." + id;
    }

    /** The daily period of {@code date}: {@code dYYYYMMDD}. */
    public static String day(LocalDate date) {
        return "d" + DAY.format(date);
    }

    /** The monthly period of {@code date}: {@code mYYYYMM}. */
    public static String month(LocalDate date) {
        return "m" + MONTH.format(date);
    }

    /** Whether {@code period} is a day's (else a month's). */
    public static boolean daily(String period) {
        return period.startsWith("d");
    }

    /** The {@code scope} and {@code id} a limit or counter key is about. */
    public record ScopeId(String scope, String id) {
    }

    /**
     * The scope a {@code limit.} or {@code spend.} key names; empty for any other key, and for one whose scope or id
     * is not a safe token (nothing orgmesh writes; such a key is left out rather than failing whoever reads it).
     */
    public static Optional<ScopeId> scopeOf(String key) {
        String[] k = key.split("\\.");
        if (k.length >= 3 && (k[0].equals("limit") || k[0].equals("spend"))
                && Subjects.SAFE_TOKEN.matcher(k[1]).matches() && Subjects.SAFE_TOKEN.matcher(k[2]).matches()) {
            return Optional.of(new ScopeId(k[1], k[2]));
        }
        return Optional.empty();
    }

    /**
     * The org file's limits {@code fromOrg} with {@code override} (a limit record; {@code null}: none) applied per
     * measure; dollars become micro-dollars.
     */
    public static Budget effective(Budget fromOrg, JsonNode override) {
        if (override == null || !override.isObject()) {
            return fromOrg;
        }
        return new Budget(count(override, "tokens_per_day", fromOrg.tokensPerDay()),
                count(override, "tokens_per_month", fromOrg.tokensPerMonth()),
                usd(override, "usd_per_day", fromOrg.microUsdPerDay()),
                usd(override, "usd_per_month", fromOrg.microUsdPerMonth()));
    }

    private static Long count(JsonNode n, String field, Long fallback) {
        JsonNode v = n.get(field);
        return v == null ? fallback : v.isNull() ? null : v.asLong();
    }

    private static Long usd(JsonNode n, String field, Long fallback) {
        JsonNode v = n.get(field);
        return v == null
                ? fallback
                : v.isNull() ? null : v.decimalValue().multiply(BigDecimal.valueOf(1_000_000)).longValue();
    }
}
