package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.scripted.RuleBook;
import dev.orgmesh.agent.brain.scripted.ScriptedBrain;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The runtime escalates on its own: a thread that keeps coming back (A → B → A …) and two agents playing ping-pong
 * faster than the per-pair limit are each stopped with one escalation, and a task sent with a deadline that nobody
 * answers is escalated once to its assignee's manager (it climbs on after the org's step timeout, 30 minutes by
 * default: {@code EscalationLadderHubTest}).
 * Managers ({@code cto}) are not running: their inboxes are read from the hub.
 */
@NatsTest
@Leaves(2)
class EscalationTest {

    /** Two agents whose rules answer every ping with a ping: without the guard they would never stop. */
    static final String PING_PONG = """
            rules:
              - name: pong
                when: { type: ping }
                send: [ { type: ping, subject: "ping {{hops}}" } ]
            """;

    @Test
    void aThreadGoingRoundAndRoundStopsAtTheLimitWithOneEscalation(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Fixture.Inbox ceo = f.inbox("ceo");
            List<Envelope> handledByDev1 = new CopyOnWriteArrayList<>();
            List<Envelope> handledByCto = new CopyOnWriteArrayList<>();
            RuntimeOptions options = Fixture.options().withLoopLimits(2, 1000);
            // dev1 and its own manager, cto, answer every ping with a ping
            f.runtime(topology.leaf(0), "dev1", pingPong(dir.resolve("dev1")), recorder(handledByDev1), options);
            f.runtime(topology.leaf(1), "cto", pingPong(dir.resolve("cto")), recorder(handledByCto), options);

            f.publish(f.subjects.dm("cto"), Fixture.envelope("dev1", "cto", "ping").id("ping-0").build());

            await().atMost(Duration.ofSeconds(15))
                    .until(() -> handledByCto.stream().anyMatch(e -> "escalation".equals(e.type())));
            // nothing else comes: the thread is stopped, and escalated once
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> handledByCto.stream()
                    .filter(e -> "escalation".equals(e.type())).count() == 1);
            Envelope esc = handledByCto.stream().filter(e -> "escalation".equals(e.type())).findFirst().orElseThrow();
            assertThat(esc.from()).as("dev1 sees the thread come back a second time").isEqualTo("dev1");
            assertThat(esc.thread()).isEqualTo("ping-0");
            assertThat(esc.context()).contains("OM-4004").contains("came back to dev1")
                    .contains("dev1 → cto → dev1 → cto");
            assertThat(esc.extra()).containsKey("original");
            assertThat(esc.chain()).as("cto is in the loop it is told about").containsExactly("dev1", "cto", "dev1",
                    "cto");
            // cto handled ping-0 and the second round, dev1 the first round; its second round is the loop
            assertThat(handledByCto).filteredOn(e -> "ping".equals(e.type())).extracting(Envelope::hops)
                    .containsExactly(0, 2);
            assertThat(handledByDev1).extracting(Envelope::hops).containsExactly(1);
            assertThat(ceo.all()).as("the escalation reached cto's brain, it was not taken for the loop")
                    .isEmpty();
        }
    }

    @Test
    void pingPongOverThePerPairRateLimitIsStoppedWithOneEscalation(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Fixture.Inbox cto = f.inbox("cto");
            List<Envelope> pings = new CopyOnWriteArrayList<>();
            RuntimeListener seen = new RuntimeListener() {
                @Override
                public void onHandled(Envelope in, String source, Outcome outcome) {
                    pings.add(in);
                }
            };
            // hops and chain would allow hundreds of rounds: only the rate limit (5 DMs a minute per pair) is left
            RuntimeOptions options = Fixture.options().withMaxHops(1000).withLoopLimits(1000, 5);
            f.runtime(topology.leaf(0), "dev1", pingPong(dir.resolve("dev1")), seen, options);
            f.runtime(topology.leaf(1), "dev2", pingPong(dir.resolve("dev2")), seen, options);

            f.publish(f.subjects.dm("dev2"), Fixture.envelope("dev1", "dev2", "ping").id("pp-0").build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !cto.ofType("escalation").isEmpty());
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> cto.ofType("escalation").size() == 1);
            Envelope esc = cto.ofType("escalation").getFirst();
            assertThat(esc.from()).as("dev2 gets the sixth DM from dev1 first").isEqualTo("dev2");
            assertThat(esc.context()).contains("OM-4004").contains("more than 5 direct messages from dev1 to dev2");
            assertThat(pings).as("5 pings handled by each side, the 6th to dev2 is the escalated one").hasSize(10);
        }
    }

    @Test
    void anUnansweredTaskIsEscalatedOnceToTheAssigneesManagerAtItsDeadline(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Fixture.Inbox cto = f.inbox("cto");
            Fixture.Running ceo = f.runtime(topology.leaf(0), "ceo", Handler.NOTHING, null, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(() -> ceo.runtime().isReady());
            String due = Instant.now().plusMillis(1500).toString();

            // dev1 is not running: nobody answers this one
            ceo.runtime().send(Fixture.envelope("ceo", "dev1", "task").id("t-late").subject("build it").deadline(due)
                    .build()).get();
            // dev2 answers this one in time (a report with re = its id)
            ceo.runtime().send(Fixture.envelope("ceo", "dev2", "task").id("t-done").subject("test it").deadline(due)
                    .build()).get();
            f.publish(f.subjects.dm("ceo"), Fixture.envelope("dev2", "ceo", "report").id("r-1").re("t-done")
                    .status("complete").build());
            assertThat(ceo.runtime().openDeadlines()).isBetween(1, 2);

            await().atMost(Duration.ofSeconds(10)).until(() -> !cto.ofType("escalation").isEmpty());
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> cto.ofType("escalation").size() == 1);
            Envelope esc = cto.ofType("escalation").getFirst();
            assertThat(esc.from()).isEqualTo("ceo");
            assertThat(esc.to()).as("dev1's manager").isEqualTo("cto");
            assertThat(esc.re()).isEqualTo("t-late");
            assertThat(esc.context()).contains("OM-4003").contains("t-late").contains("no report came back");
            assertThat(esc.extra().get("original").path("subject").asText()).isEqualTo("build it");
            assertThat(ceo.runtime().openDeadlines()).as("t-done settled; t-late climbs on after the step timeout")
                    .isEqualTo(1);
        }
    }

    private static RuntimeListener recorder(List<Envelope> into) {
        return new RuntimeListener() {
            @Override
            public void onHandled(Envelope in, String source, Outcome outcome) {
                into.add(in);
            }
        };
    }

    private static Handler pingPong(Path dir) throws Exception {
        return new ScriptedBrain(RuleBook.of(Json.yaml().readTree(PING_PONG), "ping-pong"), Workspace.at(dir));
    }
}
