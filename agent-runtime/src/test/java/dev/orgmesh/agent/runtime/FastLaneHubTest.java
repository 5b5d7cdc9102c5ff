package dev.orgmesh.agent.runtime;

import static dev.orgmesh.agent.runtime.HandledRecordTest.counter;
import static dev.orgmesh.agent.runtime.HandledRecordTest.handledBucket;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.pipeline.HandledRecord;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The fast lane (ADR 0006) on a hub with agents on two leaves: a direct message reaches the brain from its core copy and
 * its inbox copy only settles it; a failure on the core copy is retried from the inbox with its delay; a runtime that
 * died after handling a core copy whose inbox copy it never had leaves a running mark, and its next incarnation checks
 * such messages against the handled record instead of handing them to the brain again; a graceful stop clears the mark.
 */
@NatsTest
class FastLaneHubTest {

    @Test
    void directMessagesReachTheBrainFromTheirCoreCopyOnceAndTheInboxIsEmptiedBehindThem(@Leaves(2) HubTopology topology)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            HandledRecordTest.Calls brain = new HandledRecordTest.Calls();
            MeterRegistry meters = new SimpleMeterRegistry();
            HandledRecordTest.Duplicates seen = new HandledRecordTest.Duplicates();
            Fixture.Running dev1 = f.runtime(topology.leaf(1), "dev1", (in, ctx) -> {
                brain.add(in.id());
                return Outcome.reply(in.reply("dev1", "answer").subject("ok").build());
            }, seen, chatty(), meters);
            java.util.Set<String> answered = ConcurrentHashMap.newKeySet();
            Fixture.Running cto = f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                if ("answer".equals(in.type())) {
                    answered.add(in.re());
                }
                return Outcome.nothing();
            }, null, chatty());
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.runtime().isReady() && cto.runtime().isReady());

            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Envelope dm = Fixture.envelope("cto", "dev1", "question").id("dm-" + Ids.next()).subject("q" + i)
                        .build();
                ids.add(dm.id());
                cto.runtime().send(dm).get(5, TimeUnit.SECONDS);
                // one at a time: with every handler slot busy a core copy is left to the inbox, by design
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.recorded.contains(dm.id()));
            }
            await().atMost(Duration.ofSeconds(15)).until(() -> ids.stream().allMatch(seen.recorded::contains));
            assertThat(ids).allSatisfy(id -> assertThat(brain.of(id)).as(id).isEqualTo(1));
            double worked = counter(meters, "orgmesh.agent.fast.lane", "result", "worked");
            double dropped = counter(meters, "orgmesh.agent.fast.lane", "result", "dropped");
            assertThat(worked + dropped).as("every DM's core copy reached dev1: worked, or dropped because its inbox"
                    + " copy was picked up first (two threads of the receiving client race)").isEqualTo(ids.size());
            assertThat(worked).as("most were worked from their core copy (%s dropped)", dropped)
                    .isGreaterThanOrEqualTo(ids.size() / 2.0);
            assertThat(seen.by).as("the inbox copies are settled, not counted as duplicates").isEmpty();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getConsumerInfo(f.subjects.inboxStream(), dev.orgmesh.protocol.Subjects.inboxConsumer("dev1"))
                            .getNumAckPending())
                    .as("every inbox copy acked").isZero());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(answered)
                    .as("an answer to every question reached the asker").containsExactlyInAnyOrderElementsOf(ids));
        }
    }

    /** Test options without the per-pair rate limit: 30 DMs from one sender in a second are not ping-pong here. */
    static RuntimeOptions chatty() {
        return Fixture.options().withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(), Integer.MAX_VALUE);
    }

    @Test
    void aCoreCopyWhoseBrainFailedIsRetriedFromTheInboxAfterItsDelay(@Leaves(2) HubTopology topology)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Map<String, List<Long>> deliveries = new ConcurrentHashMap<>();
            HandledRecordTest.Duplicates seen = new HandledRecordTest.Duplicates();
            MeterRegistry meters = new SimpleMeterRegistry();
            Fixture.Running dev1 = f.runtime(topology.leaf(1), "dev1", (in, ctx) -> {
                List<Long> mine = deliveries.computeIfAbsent(in.id(),
                        k -> new java.util.concurrent.CopyOnWriteArrayList<>());
                mine.add(ctx.delivery());
                if (mine.size() == 1) {
                    throw new TransientException("model busy", Duration.ofMillis(300), null);
                }
                return Outcome.nothing();
            }, seen, Fixture.options(), meters);
            await().atMost(Duration.ofSeconds(10)).until(dev1.runtime()::isReady);

            String id = "dm-" + Ids.next();
            f.publish(f.subjects.dm("dev1"), Fixture.envelope("cto", "dev1", "question").id(id).subject("q").build());
            await().atMost(Duration.ofSeconds(15)).until(() -> seen.recorded.contains(id));
            assertThat(deliveries.get(id)).as("the core copy's attempt, then the inbox's redelivery")
                    .containsExactly(1L, 2L);
            assertThat(counter(meters, "orgmesh.agent.fast.lane", "result", "worked")).isEqualTo(1.0);
            assertThat(f.deadLetters()).isEmpty();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.inboxStream()).getStreamState().getMsgCount()).isZero());
        }
    }

    @Test
    void aCoreCopyHandledByARuntimeThatDiedIsNotHandedToItsNextIncarnation(@Leaves(2) HubTopology topology)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            HandledRecordTest.Calls brain = new HandledRecordTest.Calls();
            HandledRecordTest.Duplicates firstSeen = new HandledRecordTest.Duplicates();
            Fixture.Running first = f.runtime(topology.leaf(1), "dev1", (in, ctx) -> {
                brain.add(in.id());
                return Outcome.nothing();
            }, firstSeen, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(first.runtime()::isReady);
            assertThat(handledBucket(f).get(HandledRecord.runningKey("dev1")))
                    .as("a running runtime's mark").isNotNull();

            // what the fast lane must survive: the core copy of a DM reached the brain and was recorded, and the
            // runtime died before the inbox had delivered the stored copy to it (the inbox lagging, as after a
            // JetStream fail-over). Here dev1's inbox consumer is away for a moment, so only the core copy is taken.
            String durable = dev.orgmesh.protocol.Subjects.inboxConsumer("dev1");
            io.nats.client.api.ConsumerConfiguration consumer = f.jsm.getConsumerInfo(f.subjects.inboxStream(), durable)
                    .getConsumerConfiguration();
            f.jsm.deleteConsumer(f.subjects.inboxStream(), durable);
            Envelope dm = Fixture.envelope("cto", "dev1", "question").id("dm-" + Ids.next()).subject("q").build();
            f.publish(f.subjects.dm("dev1"), dm);
            await().atMost(Duration.ofSeconds(10)).until(() -> firstSeen.recorded.contains(dm.id()));
            first.kill();
            f.jsm.addOrUpdateConsumer(f.subjects.inboxStream(), consumer);
            assertThat(f.jsm.getStreamInfo(f.subjects.inboxStream()).getStreamState().getMsgCount())
                    .as("the stored copy waits in the inbox").isEqualTo(1);

            MeterRegistry meters = new SimpleMeterRegistry();
            HandledRecordTest.Duplicates nextSeen = new HandledRecordTest.Duplicates();
            Fixture.Running next = f.runtime(topology.leaf(1), "dev1", (in, ctx) -> {
                brain.add(in.id());
                return Outcome.nothing();
            }, nextSeen, Fixture.options(), meters);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> nextSeen.by.containsKey(dm.id()) || brain.of(dm.id()) > 1);
            assertThat(brain.of(dm.id())).as("the brain had it once, from the core copy").isEqualTo(1);
            assertThat(nextSeen.by).containsEntry(dm.id(), "dev1");
            assertThat(counter(meters, "orgmesh.agent.duplicates", "seen", "shared", "source", "dm")).isEqualTo(1.0);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.inboxStream()).getStreamState().getMsgCount()).isZero());

            // new DMs still take the fast lane, each once
            String later = "dm-" + Ids.next();
            f.publish(f.subjects.dm("dev1"), Fixture.envelope("cto", "dev1", "question").id(later).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> nextSeen.recorded.contains(later));
            assertThat(brain.of(later)).isEqualTo(1);

            // a graceful stop clears the mark: the next start has nothing to recover
            CountDownLatch closed = new CountDownLatch(1);
            Thread.ofVirtual().start(() -> {
                next.runtime().close(Duration.ofSeconds(5));
                closed.countDown();
            });
            assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(handledBucket(f).get(HandledRecord.runningKey("dev1")))
                    .as("cleared by the graceful stop").isNull();
        }
    }
}
