package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.DeadlineTracker;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * Issue 23: escalation is a state machine. A task nobody answers climbs {@code reports_to} one level per step timeout
 * (dev1's manager cto, then ceo, then the human board); its state lives in KV {@code OM_{CO}_ESCALATIONS}, so an agent
 * killed mid-escalation and a hub restarted meanwhile lose nothing, and each step is sent exactly once — counted on the
 * managers' inboxes — even with two runtimes of the agent racing after the restart. Managers are not running: their
 * inboxes are read from the hub.
 */
@NatsTest
@Leaves(2)
class EscalationLadderHubTest {
    static final Duration STEP = Duration.ofSeconds(3);

    static Org org() {
        return OrgLoader.parse(Fixture.ORG.formatted(Fixture.randomCompany())
                + "escalation: { step_timeout: 3s }\n", "test");
    }

    @Test
    void killedMidEscalationTheNextStepsStillHappenOnceEachAcrossAHubRestart(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology.hub(), org(), StorageType.File)) {
            KeyValue ladders = f.hubClient.keyValue(f.subjects.escalationsBucket());
            String key = Subjects.escalationKey("dev2", "t-1");
            Fixture.Inbox ctoBefore = f.inbox("cto");
            Fixture.Running first = f.runtime(topology.leaf(0), "dev2", Handler.NOTHING, null, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(() -> first.runtime().isReady());

            // dev1 is not running: nobody answers
            first.runtime().send(Fixture.envelope("dev2", "dev1", "task").id("t-1").subject("build it")
                    .deadline(Instant.now().plusSeconds(1).toString()).build()).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> ladders.get(key) != null);
            assertThat(stored(ladders.get(key)).path("step").asInt()).as("waiting for the deadline").isZero();

            await().atMost(Duration.ofSeconds(15)).until(() -> !about(ctoBefore, "t-1").isEmpty());
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                JsonNode l = stored(ladders.get(key));
                return l.path("step").asInt() == 1 && l.path("sent").asBoolean();
            });

            List<Envelope> toCto = new ArrayList<>(about(ctoBefore, "t-1"));
            // mid-escalation: cto was told, ceo is due in one step timeout. The agent dies, the hub restarts.
            first.kill();
            topology.hub().stop();
            topology.hub().restart();
            topology.awaitLeavesConnected(Duration.ofSeconds(15));
            KeyValueEntry kept = await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> ladders.get(key), Objects::nonNull);
            JsonNode state = stored(kept);
            assertThat(state.path("step").asInt()).as("the ladder survived the hub restart").isEqualTo(1);
            assertThat(state.path("current")).extracting(JsonNode::asText).containsExactly("cto");

            // two new runtimes of dev2 race for the next steps
            f.runtime(topology.leaf(0), "dev2", Handler.NOTHING, null, Fixture.options());
            f.runtime(topology.leaf(1), "dev2", Handler.NOTHING, null, Fixture.options());
            Fixture.Inbox cto = await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> f.inbox("cto"), Objects::nonNull);
            Fixture.Inbox ceo = f.inbox("ceo");
            Fixture.Inbox board = f.inbox("board");

            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> !about(board, "t-1").isEmpty());
            // the top was told; one more step timeout for an answer, then the ladder ends and its key is deleted
            await().atMost(STEP.multipliedBy(4)).ignoreExceptions().until(() -> ladders.get(key) == null);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).ignoreExceptions()
                    .until(() -> about(board, "t-1").size() == 1 && about(ceo, "t-1").size() == 1);

            toCto.addAll(about(cto, "t-1"));
            assertThat(toCto).as("step 1, once").extracting(Envelope::id).containsExactly("t-1-dev2-esc1-cto");
            assertThat(toCto.getFirst().context()).contains("OM-4003").contains("no report came back");

            Envelope step2 = about(ceo, "t-1").getFirst();
            assertThat(step2.id()).isEqualTo("t-1-dev2-esc2-ceo");
            assertThat(step2.from()).isEqualTo("dev2");
            assertThat(step2.re()).isEqualTo("t-1");
            assertThat(step2.extra().get(DeadlineTracker.STEP_FIELD).asInt()).isEqualTo(2);
            assertThat(step2.extra().get(DeadlineTracker.TOLD_FIELD)).extracting(JsonNode::asText)
                    .containsExactly("1:cto");
            assertThat(step2.context()).contains("OM-4010").contains("step 2").contains("told before: cto (step 1)");

            Envelope step3 = about(board, "t-1").getFirst();
            assertThat(step3.id()).isEqualTo("t-1-dev2-esc3-board");
            assertThat(step3.extra().get(DeadlineTracker.STEP_FIELD).asInt()).isEqualTo(3);
            assertThat(step3.context()).contains("told before: cto (step 1), ceo (step 2)")
                    .contains("a human: the last step");
            assertThat(step3.extra().get("original").path("subject").asText()).isEqualTo("build it");
        }
    }

    /**
     * A runtime that died after deciding a step (the key says step 2, not sent) and perhaps after the stream stored it:
     * the next runtime sends it again with the same id, which the stream drops, so ceo has it once; then it climbs on.
     */
    @Test
    void aStepDecidedButNotMarkedSentIsResentUnderItsIdAndStoredOnce(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology.hub(), org(), StorageType.Memory)) {
            KeyValue ladders = f.hubClient.keyValue(f.subjects.escalationsBucket());
            String key = Subjects.escalationKey("dev2", "t-2");
            Envelope task = Fixture.envelope("dev2", "dev1", "task").id("t-2").subject("test it")
                    .deadline(Instant.now().minusSeconds(10).toString()).build();
            ObjectNode ladder = Json.mapper().createObjectNode().put("origin", "t-2").put("kind", "DEADLINE")
                    .put("step", 2).put("due", Instant.now().plus(STEP).toString()).put("sent", false)
                    .put("reason", "task t-2 was due and no report came back");
            ladder.set("about", EnvelopeCodec.toTree(task));
            ladder.putArray("current").add("ceo");
            ladder.putArray("told").add("1:cto").add("2:ceo");
            ladder.putArray("ids").add("t-2-dev2-esc1-cto").add("t-2-dev2-esc2-ceo");
            ladders.create(key, Json.write(ladder));
            // the dead runtime's copy of step 2 reached the stream before it died
            f.publish(f.subjects.dm("ceo"), Fixture.envelope("dev2", "ceo", "escalation").id("t-2-dev2-esc2-ceo")
                    .re("t-2").build());
            Fixture.Inbox cto = f.inbox("cto");
            Fixture.Inbox ceo = f.inbox("ceo");
            Fixture.Inbox board = f.inbox("board");

            List<String> sent = new CopyOnWriteArrayList<>();
            f.runtime(topology.leaf(0), "dev2", Handler.NOTHING, new RuntimeListener() {
                @Override
                public void onEscalated(Envelope escalation) {
                    sent.add(escalation.id());
                }
            }, Fixture.options());

            await().atMost(Duration.ofSeconds(15)).until(() -> !about(board, "t-2").isEmpty());
            await().atMost(STEP.multipliedBy(4)).until(() -> ladders.get(key) == null);
            assertThat(sent).as("the new runtime sent step 2 again, then step 3").containsExactly(
                    "t-2-dev2-esc2-ceo", "t-2-dev2-esc3-board");
            assertThat(about(ceo, "t-2")).as("resent under the same id: a duplicate the stream dropped")
                    .extracting(Envelope::id).containsExactly("t-2-dev2-esc2-ceo");
            assertThat(about(board, "t-2")).extracting(Envelope::id).containsExactly("t-2-dev2-esc3-board");
            assertThat(about(cto, "t-2")).as("step 1 is not sent again").isEmpty();
        }
    }

    /** A brain that says it is blocked escalates to its manager; unanswered, that climbs; an answer settles it. */
    @Test
    void aBlockedBrainsEscalationClimbsAndAnAnswerToAnyStepSettlesIt(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology.hub(), org(), StorageType.Memory)) {
            KeyValue ladders = f.hubClient.keyValue(f.subjects.escalationsBucket());
            Fixture.Inbox cto = f.inbox("cto");
            Fixture.Inbox ceo = f.inbox("ceo");
            Fixture.Inbox board = f.inbox("board");
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1",
                    (in, ctx) -> "task".equals(in.type()) ? Outcome.blocked("no deploy key") : Outcome.nothing(),
                    null, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.runtime().isReady());

            f.publish(f.subjects.dm("dev1"), Fixture.envelope("dev2", "dev1", "task").id("t-3").subject("ship it")
                    .build());
            await().atMost(Duration.ofSeconds(10)).until(() -> !about(cto, "t-3").isEmpty());
            assertThat(about(cto, "t-3").getFirst().context()).contains("OM-4005").contains("no deploy key");
            await().atMost(Duration.ofSeconds(15)).until(() -> !about(ceo, "t-3").isEmpty());
            Envelope step2 = about(ceo, "t-3").getFirst();
            assertThat(step2.context()).contains("OM-4010").contains("no deploy key").contains("cto (step 1)");
            assertThat(ladders.get(Subjects.escalationKey("dev1", "t-3"))).isNotNull();

            // ceo answers the escalation it got: the ladder is settled, board is never told
            f.publish(f.subjects.dm("dev1"), Fixture.envelope("ceo", "dev1", "answer").id("a-3").re(step2.id())
                    .summary("use the staging key").build());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> ladders.get(Subjects.escalationKey("dev1", "t-3")) == null);
            assertThat(dev1.runtime().openDeadlines()).isZero();
            await().during(STEP.plusSeconds(1)).atMost(STEP.plusSeconds(3)).until(() -> about(board, "t-3").isEmpty());
        }
    }

    /** Escalations about {@code id} in {@code inbox} so far. */
    static List<Envelope> about(Fixture.Inbox inbox, String id) throws Exception {
        return inbox.ofType("escalation").stream().filter(e -> id.equals(e.re())).toList();
    }

    static JsonNode stored(KeyValueEntry e) throws Exception {
        return Json.mapper().readTree(e.getValue());
    }
}
