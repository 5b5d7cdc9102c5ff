package dev.orgmesh.agent.oversight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.FakeChatServer;
import dev.orgmesh.agent.oversight.ApprovalGateTest.Handled;
import dev.orgmesh.hub.oversight.BudgetDesk;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * A hard budget stops an agent mid-queue before its model is called: the fake model counts the calls (none over the
 * limit), the waiting messages are neither lost nor dead-lettered, the manager and the humans are told once, and a
 * human raising the limit (through the budget desk) lets the agent finish the queue, each message once.
 */
@NatsTest
@Leaves(1)
class BudgetTest {
    static final String ORG = """
            company: %s
            teams: { eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: lead, role: role-lead, team: eng, reports_to: board }
              - id: dev1
                role: role-backend
                team: eng
                reports_to: lead
                brain: { kind: openai, endpoint: "%s", models: [ m-good ], timeout: 5s, usd_per_1k_tokens: 0.5 }
            budgets:
              agents: { dev1: { tokens_per_day: 5000 } }
              reserve_tokens: 1000
            """;

    @Test
    void anExhaustedBudgetStopsModelCallsLosesNothingAndResumesWhenRaised(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (FakeChatServer model = new FakeChatServer(Map.of("m-good", FakeChatServer.Behavior.OK))) {
            Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany(), model.endpoint()), "test");
            try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory);
                    BudgetDesk desk = BudgetDesk.start(f.hubClient, NatsSettings.of(topology.hub().clientUrl()),
                            () -> org)) {
                Fixture.Inbox lead = f.inbox("lead");
                Fixture.Inbox board = f.inbox("board");
                Handled handled = new Handled();
                f.agent(topology.leaf(0), "dev1", dir, dir.resolve("ws"), handled, Fixture.options());
                for (int i = 0; i < 10; i++) {
                    f.publish(f.subjects.dm("dev1"), Fixture.envelope("lead", "dev1", "task").id("job-" + i)
                            .subject("job " + i).build());
                }

                await().atMost(Duration.ofSeconds(20)).until(() -> handled.seen.size() == 5);
                // for longer than the budget poll: nothing more gets through
                await("5 × 1000 tokens reach the 5000 limit; no call over it").during(Duration.ofMillis(2500))
                        .atMost(Duration.ofSeconds(5)).until(() -> model.requests().size() == 5
                                && handled.seen.size() == 5);
                assertThat(handled.seen).hasSize(5);
                ConsumerInfo dm = f.jsm.getConsumerInfo(f.subjects.inboxStream(), Subjects.inboxConsumer("dev1"));
                assertThat(dm.getNumAckPending() + dm.getNumPending()).as("the other 5 wait in the inbox").isEqualTo(5);
                assertThat(f.deadLetters()).isEmpty();
                await().atMost(Duration.ofSeconds(10)).until(() -> lead.ofType("escalation").size() == 1
                        && board.ofType("escalation").size() == 1);
                assertThat(lead.ofType("escalation").getFirst().context()).contains("OM-8010")
                        .contains("agent dev1 tokens per day").contains("none is lost");

                // a request is not kept waiting: it is answered at once with the budget error
                Message asked = f.hubClient.request(
                        f.subjects.ask("dev1", "lead"), dev.orgmesh.protocol.envelope.EnvelopeCodec
                                .encode(Fixture.envelope("lead", "dev1", "question").id("q-1").subject("status?")
                                        .build()),
                        Duration.ofSeconds(5));
                assertThat(asked.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                        .isEqualTo("8010");
                assertThat(model.requests()).hasSize(5);

                Message raised = f.hubClient.request(f.subjects.humanBudget("board"),
                        "{\"scope\":\"agent\",\"id\":\"dev1\",\"tokens_per_day\":20000}"
                                .getBytes(StandardCharsets.UTF_8),
                        Duration.ofSeconds(5));
                assertThat(Replies.isError(raised)).as(new String(raised.getData())).isFalse();

                await().atMost(Duration.ofSeconds(20)).until(() -> handled.seen.size() == 10);
                await("no call more").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                        .until(() -> model.requests().size() == 10);
                for (int i = 0; i < 10; i++) {
                    assertThat(handled.count("job-" + i)).as("job-%d handled once", i).isEqualTo(1);
                }
                assertThat(lead.ofType("escalation")).as("told once, not once per waiting message").hasSize(1);

                // spend rolled up: agent, its manager's line, the team, the company; money at $0.50 per 1k tokens
                KeyValue kv = f.hubClient.keyValue(org.subjects().budgetsBucket());
                String day = "d" + DateTimeFormatter.ofPattern("yyyyMMdd").format(LocalDate.now(ZoneOffset.UTC));
                for (String key : new String[]{"spend.agent.dev1." + day, "spend.line.lead." + day,
                        "spend.team.eng." + day, "spend.company." + org.company() + "." + day}) {
                    JsonNode spend = Json.mapper().readTree(kv.get(key).getValue());
                    assertThat(spend.get("tokens").asLong()).as(key).isEqualTo(10 * FakeChatServer.TOKENS_PER_ANSWER);
                    assertThat(spend.get("micro_usd").asLong()).as(key).isEqualTo(5_000_000);
                }

                Message bad = f.hubClient.request(f.subjects.humanBudget("board"),
                        "{\"scope\":\"agent\",\"id\":\"nobody\",\"tokens_per_day\":1}".getBytes(StandardCharsets.UTF_8),
                        Duration.ofSeconds(5));
                assertThat(bad.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                        .isEqualTo("8011");
                assertThat(bad.getHeaders().getFirst(HeaderNames.SERVICE_ERROR)).contains("nobody");
            }
        }
    }
}
