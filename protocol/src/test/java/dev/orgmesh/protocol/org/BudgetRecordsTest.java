package dev.orgmesh.protocol.org;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.org.BudgetRecords.ScopeId;
import dev.orgmesh.protocol.org.BudgetRecords.Spend;

/** The budgets bucket's records, as the desk writes them and the console and CLI read them. */
class BudgetRecordsTest {
    private static JsonNode json(String s) throws Exception {
        return Json.mapper().readTree(s);
    }

    @Test
    void keysNameTheScopeAndThePeriod() {
        LocalDate d = LocalDate.of(2026, 4, 5);
        assertThat(BudgetRecords.limitKey("agent", "cto-athena")).isEqualTo("limit.agent.cto-athena");
        assertThat(BudgetRecords.spendKey("team", "eng", BudgetRecords.day(d))).isEqualTo("spend.team.eng.d20260405");
        assertThat(BudgetRecords.spendKey("team", "eng", BudgetRecords.month(d))).isEqualTo("spend.team.eng.m202604");
        assertThat(BudgetRecords.reservationKey("dev1", "r-1")).isEqualTo("reservation.dev1.r-1");
        assertThat(BudgetRecords.scopeOf("spend.team.eng.d20260405")).contains(new ScopeId("team", "eng"));
        assertThat(BudgetRecords.scopeOf("limit.company.acme")).contains(new ScopeId("company", "acme"));
        assertThat(BudgetRecords.scopeOf("reservation.dev1.r-1")).isEmpty();
        assertThat(BudgetRecords.scopeOf("spend.Team.X_1.d20260405")).isEmpty();
        assertThatThrownBy(() -> BudgetRecords.limitKey("agent", "a.b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anOverrideChangesOnlyTheMeasuresItNamesAndNullLiftsALimit() throws Exception {
        Budget file = new Budget(1000L, 20000L, 5_000_000L, null);
        assertThat(BudgetRecords.effective(file, null)).isEqualTo(file);
        Budget b = BudgetRecords.effective(file, json("{\"tokens_per_day\":250,\"usd_per_month\":1.5,"
                + "\"tokens_per_month\":null}"));
        assertThat(b).isEqualTo(new Budget(250L, null, 5_000_000L, 1_500_000L));
    }

    @Test
    void aCounterReadsItsJsonAndNeverWraps() throws Exception {
        assertThat(Spend.of(json("{\"tokens\":12,\"micro_usd\":34}"))).isEqualTo(new Spend(12, 34));
        assertThat(Spend.of(null)).isEqualTo(Spend.ZERO);
        assertThat(Spend.of(json("[1]"))).isEqualTo(Spend.ZERO);
        assertThat(new Spend(Long.MAX_VALUE - 1, 0).plus(10, 0).tokens()).isEqualTo(Long.MAX_VALUE);
        assertThat(new Spend(5, 5).plus(-10, -1)).isEqualTo(new Spend(0, 4));
        assertThat(Json.mapper().readTree(Json.write(new Spend(7, 8))).get("micro_usd").asLong()).isEqualTo(8);
    }
}
