package dev.orgmesh.console.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.directory.DirectoryWire.ChartView;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/** Feed entries and filters, budget rows and presence, without a server. */
class FeedAndBudgetTest {
    static final Org ORG = OrgLoader.load(Path.of("../examples/komodo-ai.yaml"));
    static final Instant NOW = Instant.parse("2026-03-14T12:00:00Z");

    @Test
    void entriesKnowTheirTeamsMembersAndThread() {
        Envelope report = Envelope.builder().id("r1").from("cto-athena").to("ceo-genesis").type("report")
                .subject("Assessment").thread("t1").re("t1").build();
        FeedEntry dm = FeedEntry.of(1, NOW, "komodo-ai.dm.ceo-genesis", EnvelopeCodec.encode(report), ORG);
        assertThat(dm.channel()).isEqualTo("dm");
        assertThat(dm.members()).containsExactlyInAnyOrder("ceo-genesis", "cto-athena");
        assertThat(dm.teams()).containsExactly("exec");
        assertThat(dm.title()).isEqualTo("Assessment");

        Envelope task = Envelope.builder().id("k1").from("cto-athena").to("role:role-backend").type("task").build();
        FeedEntry tasks = FeedEntry.of(2, NOW, "komodo-ai.tasks.role-backend", EnvelopeCodec.encode(task), ORG);
        assertThat(tasks.teams()).contains("exec", "eng");

        FeedEntry raw = FeedEntry.of(3, NOW, "komodo-ai.eng", "hello".getBytes(StandardCharsets.UTF_8), ORG);
        assertThat(raw.channel()).isEqualTo("team");
        assertThat(raw.problem()).isNotBlank();
        assertThat(raw.body()).isEqualTo("hello");

        assertThat(new FeedFilter("exec", null, null).matches(dm)).isTrue();
        assertThat(new FeedFilter("security", null, null).matches(dm)).isFalse();
        assertThat(new FeedFilter(null, "cto-athena", "t1").matches(dm)).isTrue();
        assertThat(new FeedFilter(null, "devops-hermes", null).matches(dm)).isFalse();
        assertThat(new FeedFilter(null, null, "other").matches(dm)).isFalse();
        assertThat(new FeedFilter(" ", "", null).matches(raw)).isTrue();
        assertThat(new FeedFilter("eng", null, null).matches(raw)).isTrue();
    }

    @Test
    void theFeedKeepsTheNewestAndFilters() {
        LiveState s = new LiveState(() -> NOW, 3);
        s.message("komodo-ai.exec", "x".getBytes(StandardCharsets.UTF_8));
        s.setOrg(ORG);
        for (int i = 0; i < 5; i++) {
            s.message(i % 2 == 0 ? "komodo-ai.exec" : "komodo-ai.eng", ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(s.feed(FeedFilter.ALL, 10)).extracting(FeedEntry::body).containsExactly("m2", "m3", "m4");
        assertThat(s.feed(new FeedFilter("exec", null, null), 10)).extracting(FeedEntry::body)
                .containsExactly("m2", "m4");
    }

    @Test
    void aDeadLetterOnTheFeedTellsPagesTheTableChanged() {
        LiveState s = new LiveState(() -> NOW, 3);
        List<String> changes = new CopyOnWriteArrayList<>();
        s.addListener(new LiveState.Listener() {
            @Override
            public void message(FeedEntry entry) {
                changes.add("message " + entry.subject());
            }

            @Override
            public void changed(String what) {
                changes.add(what);
            }
        });
        s.setOrg(ORG);
        changes.clear();
        s.message("komodo-ai.eng", "hi".getBytes(StandardCharsets.UTF_8));
        s.message("komodo-ai.dlq.om_komodo-ai_dm.cto-athena", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(changes).containsExactly("message komodo-ai.eng",
                "message komodo-ai.dlq.om_komodo-ai_dm.cto-athena", "dlq");
    }

    @Test
    void budgetsMergeTheFileWithOverridesAndCountThisPeriod() throws Exception {
        Map<String, com.fasterxml.jackson.databind.JsonNode> kv = Map.of(
                "limit.agent.cto-athena", Json.mapper().readTree("{\"tokens_per_day\":50000,\"usd_per_month\":12.5}"),
                "spend.agent.cto-athena.d20260314", Json.mapper().readTree("{\"tokens\":1200,\"micro_usd\":300}"),
                "spend.agent.cto-athena.d20260313", Json.mapper().readTree("{\"tokens\":999999}"),
                "spend.agent.cto-athena.m202603", Json.mapper().readTree("{\"tokens\":5000,\"micro_usd\":900}"),
                "spend.line.ceo-genesis.d20260314", Json.mapper().readTree("{\"tokens\":70}"));
        List<BudgetRow> rows = BudgetRow.table(ORG, kv, NOW);
        assertThat(rows.getFirst().scope()).isEqualTo("company");
        assertThat(rows.getFirst().tokensPerDay()).isEqualTo(2_000_000L);
        BudgetRow athena = rows.stream().filter(r -> r.id().equals("cto-athena")).findFirst().orElseThrow();
        assertThat(athena.overridden()).isTrue();
        assertThat(athena.tokensPerDay()).isEqualTo(50_000L);
        assertThat(athena.microUsdPerDay()).isEqualTo(10_000_000L);
        assertThat(athena.microUsdPerMonth()).isEqualTo(12_500_000L);
        assertThat(athena.tokensToday()).isEqualTo(1200);
        assertThat(athena.tokensThisMonth()).isEqualTo(5000);
        assertThat(athena.microUsdThisMonth()).isEqualTo(900);
        assertThat(rows).anySatisfy(r -> {
            assertThat(r.scope()).isEqualTo("line");
            assertThat(r.tokensToday()).isEqualTo(70);
        });
    }

    /** The page's chart is the directory's chart reply, field for field, with presence beside it. */
    @Test
    void theChartIsTheDirectorysChartWithPresence() throws Exception {
        Presence athena = new Presence("cto-athena", NOW.minusSeconds(5), Duration.ofMinutes(1).toMillis(), "up");
        JsonNode json = Json.mapper().readTree(Json.write(OrgView.of(ORG, Map.of("cto-athena", athena), NOW)));

        ObjectNode chart = ((ObjectNode) json).deepCopy();
        chart.remove("presence");
        assertThat(Json.mapper().treeToValue(chart, ChartView.class)).isEqualTo(ChartView.of(ORG));
        assertThat(json.get("members")).extracting(n -> n.get("id").textValue())
                .containsExactlyElementsOf(ORG.members().stream().map(Member::id).toList());
        assertThat(json.get("presence").get("cto-athena").get("state").textValue()).isEqualTo(PresenceView.UP);
        assertThat(json.get("presence").get("board").get("state").textValue()).isEqualTo(PresenceView.UNKNOWN);
        assertThat(json.get("presence")).hasSize(ORG.members().size());
    }

    @Test
    void presenceIsUpForThreeIntervals() {
        Presence p = new Presence("a", NOW.minusSeconds(170), Duration.ofMinutes(1).toMillis(), "up");
        assertThat(PresenceView.of(p, NOW).state()).isEqualTo(PresenceView.UP);
        assertThat(PresenceView.of(p, NOW.plusSeconds(20)).state()).isEqualTo(PresenceView.DOWN);
        assertThat(PresenceView.of(new Presence("a", NOW, 1000, "stopping"), NOW).state())
                .isEqualTo(PresenceView.STOPPING);
        assertThat(PresenceView.of(null, NOW).state()).isEqualTo(PresenceView.UNKNOWN);
    }
}
