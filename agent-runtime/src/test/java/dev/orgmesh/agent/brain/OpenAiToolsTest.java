package dev.orgmesh.agent.brain;

import static dev.orgmesh.agent.brain.FakeChatServer.call;
import static dev.orgmesh.agent.brain.FakeChatServer.calls;
import static dev.orgmesh.agent.brain.FakeChatServer.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The {@code openai} brain's tools, end to end: agents started as the service starts them, on a leaf of a real hub,
 * their models a {@link FakeChatServer} that speaks tool calls as the Chat Completions API does. Each tool call is an
 * action of the action set; its result goes back to the model as a {@code tool} message, and the model is called again
 * until it answers.
 */
@NatsTest
@Leaves(1)
class OpenAiToolsTest {
    static final String ORG = """
            company: %1$s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            roles: { role-x: { actions: { publish: off } } }
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board }
              - { id: cto, role: role-cto, team: exec, reports_to: ceo, events: [deployment] }
              - id: dev1
                role: role-backend
                team: eng
                reports_to: cto
                brain: { kind: openai, endpoint: "%2$s", models: [ m-dev1 ], timeout: 5s }
              - id: dev2
                role: role-x
                team: eng
                reports_to: cto
                brain: { kind: openai, endpoint: "%2$s", models: [ m-dev2 ], timeout: 5s }
              - id: dev3
                role: role-backend
                team: eng
                reports_to: cto
                brain: { kind: openai, endpoint: "%2$s", models: [ m-dev3 ], timeout: 5s, max_turns: 3 }
            """;

    private static Fixture start(HubTopology topology, FakeChatServer fake) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany(), fake.endpoint()), "test");
        return Fixture.start(topology.hub(), org, StorageType.Memory);
    }

    @Test
    void aToolCallPublishesAnEventThatTheSubscribedAgentReceives(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of()).script("m-dev1",
                calls(call("call_pub", "publish", """
                        {"event":"deployment","subject":"api v2.3 deployed","context":"rolled out to eu-west"}""")),
                text("Deployed api v2.3 and announced it."));
                Fixture f = start(topology, fake)) {
            Fixture.Inbox ceo = f.inbox("ceo");
            Map<String, Envelope> ctoGot = new ConcurrentHashMap<>();
            Map<String, String> ctoSources = new ConcurrentHashMap<>();
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                ctoGot.put(in.id(), in);
                ctoSources.put(in.id(), ctx.source());
                return Outcome.nothing();
            }, null, Fixture.options());
            f.agent(topology.leaf(0), "dev1", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), Fixture.envelope("ceo", "dev1", "task").id("t-deploy")
                    .subject("deploy api v2.3").build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !ceo.ofType("report").isEmpty());
            Envelope report = ceo.ofType("report").getFirst();
            assertThat(report.from()).isEqualTo("dev1");
            assertThat(report.re()).isEqualTo("t-deploy");
            assertThat(report.summary()).isEqualTo("Deployed api v2.3 and announced it.");

            await().atMost(Duration.ofSeconds(10)).until(() -> ctoGot.values().stream()
                    .anyMatch(e -> "event".equals(e.type())));
            Envelope event = ctoGot.values().stream().filter(e -> "event".equals(e.type())).findFirst().orElseThrow();
            assertThat(event.from()).as("the true sender").isEqualTo("dev1");
            assertThat(event.subject()).isEqualTo("api v2.3 deployed");
            assertThat(event.context()).isEqualTo("rolled out to eu-west");
            assertThat(ctoSources.get(event.id())).isEqualTo("events:deployment");

            List<FakeChatServer.Request> reqs = fake.requests("m-dev1");
            assertThat(reqs).hasSize(2);
            assertThat(reqs.getFirst().tools()).as("the role's actions; secret is off by default")
                    .containsExactly("send", "enqueue", "publish", "ask", "artifact", "escalate");
            JsonNode result = reqs.get(1).toolResults().get("call_pub");
            assertThat(result.path("ok").asBoolean()).as(result.toString()).isTrue();
            assertThat(result.path("action").asText()).isEqualTo("publish");
            assertThat(result.path("data").path("subject").asText()).as("attributed to its sender")
                    .isEqualTo(f.subjects.event("dev1", "deployment"));
        }
    }

    @Test
    void aForbiddenToolCallComesBackAsAnErrorAndTheModelGoesOn(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of()).script("m-dev2",
                calls(call("call_1", "publish", "{\"event\":\"deployment\",\"subject\":\"v9\"}")),
                text("I may not publish events; telling you instead: v9 is out."));
                Fixture f = start(topology, fake)) {
            Fixture.Inbox ceo = f.inbox("ceo");
            f.agent(topology.leaf(0), "dev2", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("dev2"), Fixture.envelope("ceo", "dev2", "task").id("t-x").subject("ship v9")
                    .build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !ceo.ofType("report").isEmpty());
            assertThat(ceo.ofType("report").getFirst().summary())
                    .isEqualTo("I may not publish events; telling you instead: v9 is out.");
            List<FakeChatServer.Request> reqs = fake.requests("m-dev2");
            assertThat(reqs).as("the model's next turn reached the endpoint").hasSize(2);
            assertThat(reqs.getFirst().tools()).as("publish is off for role-x: not offered").doesNotContain("publish")
                    .contains("send");
            JsonNode result = reqs.get(1).toolResults().get("call_1");
            assertThat(result.path("ok").asBoolean()).isFalse();
            assertThat(result.path("error").asText()).isEqualTo("ACTION_FORBIDDEN");
            assertThat(result.path("code").asInt()).isEqualTo(4052);
            assertThat(result.path("message").asText()).contains("roles.role-x.actions.publish");
        }
    }

    @Test
    void anUnknownToolAndMalformedArgumentsAreToolErrorsAndTheInputIsNotLost(HubTopology topology,
            @TempDir Path dir) throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of()).script("m-dev1",
                calls(call("c-unknown", "deploy_now", "{\"target\":\"prod\"}"),
                        call("c-broken", "send", "{\"to\": \"cto\", \"summary\": "),
                        call("c-wrong", "enqueue", "{\"subject\":\"no role\"}"),
                        call("c-ok", "send", "{\"to\":\"cto\",\"type\":\"status\",\"summary\":\"working on it\"}")),
                text("Done, with one status to my manager."));
                Fixture f = start(topology, fake)) {
            Fixture.Inbox ceo = f.inbox("ceo");
            Fixture.Inbox cto = f.inbox("cto");
            f.agent(topology.leaf(0), "dev1", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), Fixture.envelope("ceo", "dev1", "task").id("t-bad").subject("try")
                    .build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !ceo.ofType("report").isEmpty());
            assertThat(ceo.ofType("report").getFirst().re()).isEqualTo("t-bad");
            await().atMost(Duration.ofSeconds(10)).until(() -> !cto.ofType("status").isEmpty());
            assertThat(cto.ofType("status").getFirst().summary()).isEqualTo("working on it");

            Map<String, JsonNode> results = fake.requests("m-dev1").get(1).toolResults();
            assertThat(results).containsOnlyKeys("c-unknown", "c-broken", "c-wrong", "c-ok");
            assertThat(results.get("c-unknown").path("error").asText()).isEqualTo("ACTION_UNKNOWN");
            assertThat(results.get("c-unknown").path("message").asText()).contains("deploy_now");
            assertThat(results.get("c-broken").path("error").asText()).isEqualTo("ACTION_MALFORMED");
            assertThat(results.get("c-broken").path("message").asText()).contains("not JSON");
            assertThat(results.get("c-wrong").path("error").asText()).isEqualTo("ACTION_MALFORMED");
            assertThat(results.get("c-wrong").path("message").asText()).contains("'role'");
            assertThat(results.get("c-ok").path("ok").asBoolean()).isTrue();
            assertThat(f.deadLetters()).isEmpty();
        }
    }

    @Test
    void aModelThatKeepsCallingToolsFailsTheMessageAtMaxTurns(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of()).script("m-dev3",
                calls(call("c-loop", "artifact", "{\"path\":\"notes/loop.md\",\"content\":\"again\"}")));
                Fixture f = start(topology, fake)) {
            Fixture.Inbox board = f.inbox("board");
            f.agent(topology.leaf(0), "dev3", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("dev3"), Fixture.envelope("ceo", "dev3", "task").id("t-loop").subject("loop")
                    .build());

            // dead-lettered at once with the reason (not retried), and the manager of its sender (ceo) is told
            await().atMost(Duration.ofSeconds(15)).until(() -> !board.ofType("escalation").isEmpty());
            Envelope esc = board.ofType("escalation").getFirst();
            assertThat(esc.from()).isEqualTo("dev3");
            assertThat(esc.re()).isEqualTo("t-loop");
            assertThat(esc.context()).contains("OM-2005").contains("OM-4053")
                    .contains("still calling tools after 3 turns").contains("max_turns");
            assertThat(f.deadLetters()).hasSize(1);
            assertThat(fake.requests("m-dev3")).as("max_turns 3: three model calls").hasSize(3);
            assertThat(Files.readString(dir.resolve("dev3/notes/loop.md"))).isEqualTo("again");
        }
    }
}
