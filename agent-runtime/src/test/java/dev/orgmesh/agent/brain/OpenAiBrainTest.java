package dev.orgmesh.agent.brain;

import static dev.orgmesh.agent.brain.FakeChatServer.call;
import static dev.orgmesh.agent.brain.FakeChatServer.calls;
import static dev.orgmesh.agent.brain.FakeChatServer.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.agent.brain.openai.OpenAiBrain;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * The {@code openai} brain alone, against the {@link FakeChatServer}: usage over several turns, the endpoint's 4xx. The
 * actions are taken by a recorder that reads them with {@link ActionCodec} (the runtime's {@code Acting} is exercised
 * end to end in {@link OpenAiToolsTest}).
 */
class OpenAiBrainTest {
    static final Org ORG = OrgLoader.parse("""
            company: acme
            teams: { eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: lead, role: role-lead, team: eng, reports_to: board }
              - { id: dev1, role: role-backend, team: eng, reports_to: lead }
            """, "test");

    /** Reads each action as the runtime does and says it was done. */
    static final class Recorder implements Actions {
        final List<JsonNode> taken = new ArrayList<>();
        final Envelope in;

        Recorder(Envelope in) {
            this.in = in;
        }

        @Override
        public ActionResult run(Action action) {
            return ActionResult.done(action.kind().wire(), "done", null);
        }

        @Override
        public ActionResult run(JsonNode json) {
            taken.add(json);
            return run(ActionCodec.read(json, in));
        }

        @Override
        public List<Envelope> drain() {
            return List.of();
        }
    }

    private static OpenAiBrain brain(String endpoint, List<String> models, Path dir) {
        return new OpenAiBrain(endpoint, models, () -> Optional.of("sk-unit"), Duration.ofSeconds(5),
                Workspace.at(dir), null, null, false, 0.5, OpenAiBrain.DEFAULT_MAX_TURNS);
    }

    private static Envelope task() {
        return Envelope.builder().id("t-1").from("lead").to("dev1").type("task").subject("check the build")
                .ts(Instant.now()).build();
    }

    @Test
    void tokenUsageIsSummedOverTheTurns(@TempDir Path dir) throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of()).script("m",
                calls(call("c1", "artifact", "{\"path\":\"a.md\",\"content\":\"a\"}")),
                calls(call("c2", "send", "{\"to\":\"lead\",\"type\":\"status\",\"summary\":\"half way\"}"),
                        call("c3", "escalate", "{\"reason\":\"need a decision\"}")),
                text("All done."))) {
            Envelope in = task();
            Recorder acts = new Recorder(in);
            UsageMeter usage = new UsageMeter();
            HandlerContext ctx = new HandlerContext(ORG.agent("dev1").orElseThrow(), ORG, "dm", 1,
                    Clock.systemUTC(), List.of(), usage, acts);

            Outcome out = brain(fake.endpoint() + "/chat/completions", List.of("m"), dir).handle(in, ctx);

            assertThat(out).isInstanceOfSatisfying(Outcome.Reply.class,
                    r -> assertThat(r.reply().summary()).isEqualTo("All done."));
            assertThat(usage.calls()).isEqualTo(3);
            assertThat(usage.tokens()).isEqualTo(3L * FakeChatServer.TOKENS_PER_ANSWER);
            assertThat(usage.microUsd()).as("3000 tokens at $0.50 per 1k").isEqualTo(1_500_000);
            assertThat(acts.taken).extracting(j -> j.path("action").asText())
                    .containsExactly("artifact", "send", "escalate");
            List<FakeChatServer.Request> reqs = fake.requests("m");
            assertThat(reqs).hasSize(3);
            assertThat(reqs.get(2).toolResults()).containsOnlyKeys("c1", "c2", "c3");
            assertThat(reqs).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer sk-unit"));
        }
    }

    @Test
    void anotherClientErrorFailsTheMessageAtOnceWithTheEndpointsError(@TempDir Path dir) throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of("m-bad-key", FakeChatServer.Behavior.UNAUTHORIZED,
                "m-good", FakeChatServer.Behavior.OK))) {
            Envelope in = task();
            HandlerContext ctx = new HandlerContext(ORG.agent("dev1").orElseThrow(), ORG, "dm", 1,
                    Clock.systemUTC(), List.of(), new UsageMeter(), new Recorder(in));

            Outcome out = brain(fake.endpoint(), List.of("m-bad-key", "m-good"), dir).handle(in, ctx);

            assertThat(out).isInstanceOfSatisfying(Outcome.Failed.class, f -> assertThat(f.reason())
                    .contains("refused m-bad-key").contains("HTTP 401 (Incorrect API key provided)")
                    .doesNotContain("sk-unit"));
            assertThat(fake.requests()).as("the next model would get the same answer")
                    .extracting(FakeChatServer.Request::model).containsExactly("m-bad-key");
        }
    }
}
