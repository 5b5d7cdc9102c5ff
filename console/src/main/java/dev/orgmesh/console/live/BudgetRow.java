package dev.orgmesh.console.live;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.org.Budget;
import dev.orgmesh.protocol.org.Org;

/**
 * One line of the budget table: the limits that apply to a scope (the org file's {@code budgets}, with a human's
 * {@code limit.{scope}.{id}} override on top, field by field) and what was spent today and this month
 * ({@code spend.{scope}.{id}.d{yyyyMMdd}} / {@code .m{yyyyMM}}, UTC periods). See {@code docs/oversight.md}. A
 * {@code null} limit means none; money is in micro-dollars as the counters keep it.
 *
 * @param scope company, team, agent or line
 * @param id the company, team or member id
 * @param overridden whether a {@code limit.*} entry changes the org file's limits
 */
public record BudgetRow(String scope, String id, Long tokensPerDay, long tokensToday, Long tokensPerMonth,
        long tokensThisMonth, Long microUsdPerDay, long microUsdToday, Long microUsdPerMonth, long microUsdThisMonth,
        boolean overridden) {

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM").withZone(ZoneOffset.UTC);

    /**
     * The table for {@code org} given the budgets bucket's entries (key → JSON value) at {@code now}: the company,
     * every team, every agent, then any other scope the bucket mentions.
     */
    public static List<BudgetRow> table(Org org, Map<String, JsonNode> entries, Instant now) {
        Map<String, Budget> scopes = new LinkedHashMap<>();
        scopes.put("company." + org.company(), org.oversight().companyBudget());
        org.teams().keySet().forEach(t -> scopes.put("team." + t, org.oversight().teamBudget(t)));
        org.agents().forEach(a -> scopes.put("agent." + a.id(), org.oversight().agentBudget(a.id())));
        for (String key : entries.keySet()) {
            String[] k = key.split("\\.");
            if (k.length >= 3 && (k[0].equals("limit") || k[0].equals("spend"))) {
                scopes.putIfAbsent(k[1] + "." + k[2], Budget.UNLIMITED);
            }
        }
        String day = "d" + DAY.format(now);
        String month = "m" + MONTH.format(now);
        List<BudgetRow> rows = new ArrayList<>();
        scopes.forEach((scopeId, fromFile) -> {
            int dot = scopeId.indexOf('.');
            String scope = scopeId.substring(0, dot);
            String id = scopeId.substring(dot + 1);
            JsonNode override = entries.get("limit." + scopeId);
            JsonNode today = entries.get("spend." + scopeId + "." + day);
            JsonNode thisMonth = entries.get("spend." + scopeId + "." + month);
            rows.add(new BudgetRow(scope, id,
                    limit(override, "tokens_per_day", null, fromFile.tokensPerDay()), count(today, "tokens"),
                    limit(override, "tokens_per_month", null, fromFile.tokensPerMonth()), count(thisMonth, "tokens"),
                    limit(override, "micro_usd_per_day", "usd_per_day", fromFile.microUsdPerDay()),
                    count(today, "micro_usd"),
                    limit(override, "micro_usd_per_month", "usd_per_month", fromFile.microUsdPerMonth()),
                    count(thisMonth, "micro_usd"), override != null && override.isObject()));
        });
        return rows;
    }

    /** The override's value for a field (micro-dollars either directly or from dollars), else the file's. */
    private static Long limit(JsonNode override, String field, String dollarsField, Long fromFile) {
        if (override != null && override.isObject()) {
            JsonNode v = override.get(field);
            if (v != null && v.isNumber()) {
                return v.longValue();
            }
            if (dollarsField != null) {
                JsonNode d = override.get(dollarsField);
                if (d != null && d.isNumber()) {
                    return d.decimalValue().multiply(BigDecimal.valueOf(1_000_000)).longValue();
                }
            }
        }
        return fromFile;
    }

    private static long count(JsonNode spend, String field) {
        if (spend == null || !spend.isObject()) {
            return 0;
        }
        JsonNode v = spend.get(field);
        return v != null && v.isNumber() ? v.longValue() : 0;
    }
}
