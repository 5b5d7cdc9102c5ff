package dev.orgmesh.console.live;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.org.Budget;
import dev.orgmesh.protocol.org.BudgetRecords;
import dev.orgmesh.protocol.org.BudgetRecords.Spend;
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
            BudgetRecords.scopeOf(key).ifPresent(k -> scopes.putIfAbsent(k.scope() + "." + k.id(), Budget.UNLIMITED));
        }
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        String day = BudgetRecords.day(today);
        String month = BudgetRecords.month(today);
        List<BudgetRow> rows = new ArrayList<>();
        scopes.forEach((scopeId, fromFile) -> {
            int dot = scopeId.indexOf('.');
            String scope = scopeId.substring(0, dot);
            String id = scopeId.substring(dot + 1);
            JsonNode override = entries.get(BudgetRecords.limitKey(scope, id));
            Budget limits = BudgetRecords.effective(fromFile, override);
            Spend spentToday = Spend.of(entries.get(BudgetRecords.spendKey(scope, id, day)));
            Spend spentThisMonth = Spend.of(entries.get(BudgetRecords.spendKey(scope, id, month)));
            rows.add(new BudgetRow(scope, id, limits.tokensPerDay(), spentToday.tokens(), limits.tokensPerMonth(),
                    spentThisMonth.tokens(), limits.microUsdPerDay(), spentToday.microUsd(), limits.microUsdPerMonth(),
                    spentThisMonth.microUsd(), override != null && override.isObject()));
        });
        return rows;
    }
}
