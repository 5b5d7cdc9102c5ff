package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * Messages sent while an agent was down (DM, team, company, its event, a heartbeat tick) are delivered when it comes
 * back; the guards skip its own message and report, instead of handling, a message over the hop limit; a message past
 * its deadline is handled under the org's default {@code late_tasks: work}, and what the agent says about it is flagged
 * {@code late: true}.
 */
@NatsTest
@Leaves(1)
class CatchUpTest {

    @Test
    void whatWasSentWhileTheAgentWasDownIsDeliveredWhenItComesBack(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Envelope dm = Fixture.envelope("ceo", "cto", "task").id("dm-1").subject("evaluate").build();
            f.publish(f.subjects.dm("cto"), dm);
            f.publish(f.subjects.team("exec"), Fixture.envelope("ceo", "team:exec", "status").id("team-1").build());
            f.publish(f.subjects.all(), Fixture.envelope("board", "all", "status").id("all-1").build());
            f.publish(f.subjects.events("deployment"), Fixture.envelope("dev1", "all", "event").id("ev-1").build());
            // forced: the zero-token check would otherwise skip a tick once the inbox is empty (ZeroTokenHeartbeatTest)
            f.publish(f.subjects.heartbeat("cto"), Fixture.envelope("heartbeat", "cto", "heartbeat").id("hb-1")
                    .extra("force", com.fasterxml.jackson.databind.node.BooleanNode.TRUE).build());
            f.publish(f.subjects.team("exec"), Fixture.envelope("cto", "team:exec", "status").id("own-1").build());
            f.publish(f.subjects.dm("cto"), Fixture.envelope("ceo", "cto", "task").id("late-1")
                    .deadline(Instant.now().minusSeconds(60).toString()).build());
            f.publish(f.subjects.dm("cto"), Fixture.envelope("ceo", "cto", "task").id("loop-1").hops(11).build());

            Map<String, String> handled = new ConcurrentHashMap<>();
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                handled.put(in.id(), ctx.source());
                return "dm-1".equals(in.id()) || "late-1".equals(in.id())
                        ? Outcome.reply(in.report("cto", "complete", "looks good").build())
                        : Outcome.nothing();
            }, null, Fixture.options());

            await().atMost(Duration.ofSeconds(15)).until(() -> handled.size() >= 6);
            assertThat(handled).containsOnly(Map.entry("dm-1", "dm"), Map.entry("team-1", "team"),
                    Map.entry("all-1", "all"), Map.entry("ev-1", "events:deployment"),
                    Map.entry("hb-1", "heartbeat"), Map.entry("late-1", "dm"));

            // ceo gets both reports (the late one flagged) and, as cto's manager, the report of the loop cto did not
            // handle
            JetStreamSubscription ceo = f.bind(f.subjects.inboxStream(), "dm-ceo");
            List<Envelope> toCeo = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                for (Message m : ceo.fetch(10, Duration.ofMillis(300))) {
                    toCeo.add(EnvelopeCodec.decode(m.getData()));
                    m.ack();
                }
                return toCeo.size() >= 3;
            });
            assertThat(toCeo).anySatisfy(e -> {
                assertThat(e.type()).isEqualTo("report");
                assertThat(e.re()).isEqualTo("dm-1");
                assertThat(e.from()).isEqualTo("cto");
                assertThat(e.id()).as("derived from the handled message").isEqualTo("dm-1-cto-1");
            });
            assertThat(toCeo).filteredOn(e -> "dm-1".equals(e.re())).singleElement()
                    .satisfies(e -> assertThat(e.extra()).doesNotContainKey("late"));
            assertThat(toCeo).filteredOn(e -> "late-1".equals(e.re())).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo("report");
                assertThat(e.extra().get("late").asBoolean()).as("late_tasks: work flags it").isTrue();
            });
            assertThat(toCeo).filteredOn(e -> "escalation".equals(e.type())).extracting(Envelope::context)
                    .singleElement().satisfies(c -> assertThat(c).contains("OM-4004").contains("11 hops"));
            assertThat(handled).doesNotContainKeys("own-1", "loop-1");

            // and the agent beacons its presence
            KeyValue presence = f.hubClient.keyValue(f.subjects.presenceBucket());
            await().atMost(Duration.ofSeconds(5)).until(() -> presence.get("cto") != null);
            assertThat(Json.mapper().readTree(presence.get("cto").getValue()).path("status").asText())
                    .isEqualTo("up");
        }
    }
}
