package dev.orgmesh.protocol.org;

/**
 * Hard spending limits for one agent, team or the company. {@code null} means no limit on that measure. Money is in
 * micro-dollars so counters stay exact integers.
 *
 * <pre>
 * budgets:
 *   company: { tokens_per_day: 2000000, usd_per_month: 300 }
 *   teams:   { eng: { tokens_per_day: 500000 } }
 *   agents:  { cto-athena: { tokens_per_day: 100000, usd_per_day: 5 } }
 * </pre>
 */
public record Budget(Long tokensPerDay, Long tokensPerMonth, Long microUsdPerDay, Long microUsdPerMonth) {
    public static final Budget UNLIMITED = new Budget(null, null, null, null);

    public boolean unlimited() {
        return tokensPerDay == null && tokensPerMonth == null && microUsdPerDay == null && microUsdPerMonth == null;
    }
}
