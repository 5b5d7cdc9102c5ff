package dev.orgmesh.protocol;

/**
 * The budget desk's request/reply protocol (docs/oversight.md): an agent's runtime asks hub-bootstrap to reserve tokens
 * on every spend counter its model calls roll up to before a call ({@code {co}.budget.reserve.{agent}}) and to settle
 * the reservation to what the call really spent after it ({@code {co}.budget.settle.{agent}}). Only the desk writes the
 * counters, so no agent can rewrite the counters that limit it; the subject's last token is the agent, which the hub
 * lets only that agent publish (ADR 0010).
 */
public final class BudgetWire {
    private BudgetWire() {
    }

    /** Reserve {@code tokens} on every counter of the asking agent. */
    public record ReserveRequest(long tokens) {
    }

    /**
     * The desk's answer to a reserve: a reservation id (then {@code refused} is null), or the limit that refused it
     * (then nothing was taken).
     */
    public record ReserveReply(String reservation, long tokens, Refusal refused) {
    }

    /** Settle reservation {@code reservation} to what was really spent. */
    public record SettleRequest(String reservation, long tokens, long microUsd) {
    }

    /**
     * Why a reservation was refused: which limit ({@code kind} agent, line, team or company; {@code id}; the
     * {@code period} {@code dYYYYMMDD} or {@code mYYYYMM}; the {@code measure} tokens or usd), and how much is spent.
     */
    public record Refusal(String kind, String id, String period, String measure, long limit, long spent) {
        /** A stable key for "this limit in this period", so it is reported once. */
        public String key() {
            return kind + "-" + id + "-" + period + "-" + measure;
        }

        public String describe() {
            String unit = measure.equals("usd") ? " micro-USD" : " tokens";
            return kind + " " + id + " " + measure + " per " + (period.startsWith("d") ? "day" : "month") + " ("
                    + period.substring(1) + "): " + spent + unit + " spent of a limit of " + limit + unit;
        }
    }
}
