package dev.orgmesh.hub.oversight;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.BudgetWire;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/**
 * The budget desk keeps the spend counters (issue 22: "budget counters cannot be rewritten by the agent they limit"):
 * a reservation rolls up to every counter of the asking agent and is refused at a hard limit; it is settled once, only
 * by the agent that asked; a reservation larger than the org's size is refused. That an agent may not write a counter
 * itself, nor ask in another's name, is the hub's part (PermissionsTest, the security matrix).
 */
@NatsTest
class BudgetDeskTest {
    static final String ORG = """
            company: budgetdesk
            teams: { eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: lead, role: role-lead, team: eng, reports_to: board }
              - { id: dev1, role: role-dev, team: eng, reports_to: lead }
              - { id: dev2, role: role-dev, team: eng, reports_to: lead }
            budgets:
              reserve_tokens: 1000
              agents: { dev1: { tokens_per_day: 2500 } }
            """;

    @Test
    void reservationsRollUpAreRefusedAtTheLimitAndAreSettledOnceByTheirAgent(NatsServer server) throws Exception {
        Org org = OrgLoader.parse(ORG, "test");
        Subjects s = org.subjects();
        try (Connection c = Nats.connect(server.clientUrl())) {
            AssetApplier applier = new AssetApplier(c.jetStreamManagement(), c.keyValueManagement(), s.assetPrefix());
            OrgAssets assets = OrgAssets.of(org, AssetLimits.defaults());
            applier.apply(assets, applier.plan(assets), false);
            try (BudgetDesk desk = BudgetDesk.start(c, NatsSettings.of(server.clientUrl()), () -> org)) {
                BudgetWire.ReserveReply first = reserve(c, s, "dev1", 1000);
                BudgetWire.ReserveReply second = reserve(c, s, "dev1", 1000);
                assertThat(first.reservation()).isNotNull();
                assertThat(second.reservation()).isNotNull().isNotEqualTo(first.reservation());
                BudgetWire.ReserveReply third = reserve(c, s, "dev1", 1000);
                assertThat(third.reservation()).as("2,000 reserved of 2,500: a third 1,000 would pass the limit")
                        .isNull();
                assertThat(third.refused().kind()).isEqualTo("agent");
                assertThat(third.refused().id()).isEqualTo("dev1");
                assertThat(third.refused().spent()).isEqualTo(2000);

                KeyValue kv = c.keyValue(s.budgetsBucket());
                String day = "d" + DateTimeFormatter.ofPattern("yyyyMMdd").format(LocalDate.now(ZoneOffset.UTC));
                for (String scope : new String[]{"agent.dev1", "line.lead", "team.eng", "company.budgetdesk"}) {
                    assertThat(tokens(kv, "spend." + scope + "." + day)).as(scope).isEqualTo(2000);
                }

                // settled by another agent: refused, nothing changes
                Message foreign = request(c, s.budgetSettle("dev2"),
                        new BudgetWire.SettleRequest(first.reservation(), 0, 0));
                assertThat(Replies.isError(foreign)).isTrue();
                assertThat(foreign.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                        .isEqualTo(String.valueOf(ErrorCode.BUDGET_BAD_REQUEST.code()));
                assertThat(tokens(kv, "spend.agent.dev1." + day)).isEqualTo(2000);

                // settled by its agent to what was spent: 1,000 reserved become 300 (and $0.25)
                Message settled = request(c, s.budgetSettle("dev1"),
                        new BudgetWire.SettleRequest(first.reservation(), 300, 250_000));
                assertThat(Replies.isError(settled)).as(new String(settled.getData(), StandardCharsets.UTF_8))
                        .isFalse();
                assertThat(tokens(kv, "spend.agent.dev1." + day)).isEqualTo(1300);
                assertThat(tokens(kv, "spend.team.eng." + day)).isEqualTo(1300);
                // once only: a second settle of it would release the reservation again
                Message again = request(c, s.budgetSettle("dev1"),
                        new BudgetWire.SettleRequest(first.reservation(), 0, 0));
                assertThat(Replies.isError(again)).isTrue();
                assertThat(again.getHeaders().getFirst(HeaderNames.SERVICE_ERROR)).contains("no open reservation");
                assertThat(tokens(kv, "spend.agent.dev1." + day)).isEqualTo(1300);

                // more than the org's reservation size: refused (one agent cannot drain a shared budget at once)
                Message greedy = request(c, s.budgetReserve("dev2"), new BudgetWire.ReserveRequest(1_000_000));
                assertThat(greedy.getHeaders().getFirst(HeaderNames.SERVICE_ERROR)).contains("1 to 1000");
                // a name that is no agent
                Message nobody = request(c, s.budgetReserve("board"), new BudgetWire.ReserveRequest(10));
                assertThat(Replies.isError(nobody)).isTrue();
            }
        }
    }

    static BudgetWire.ReserveReply reserve(Connection c, Subjects s, String agent, long tokens) throws Exception {
        Message m = request(c, s.budgetReserve(agent), new BudgetWire.ReserveRequest(tokens));
        assertThat(Replies.isError(m)).as(new String(m.getData(), StandardCharsets.UTF_8)).isFalse();
        return Json.mapper().readValue(m.getData(), BudgetWire.ReserveReply.class);
    }

    static Message request(Connection c, String subject, Object body) throws Exception {
        return c.request(subject, Json.write(body), Duration.ofSeconds(5));
    }

    static long tokens(KeyValue kv, String key) throws Exception {
        var e = kv.get(key);
        JsonNode n = e == null ? null : Json.mapper().readTree(e.getValue());
        return n == null ? 0 : n.get("tokens").asLong();
    }
}
