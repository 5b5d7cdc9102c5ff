package dev.orgmesh.heartbeat.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.StorageType;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/** Ticks through a real JetStream server, with time walked by the test instead of waited for. */
@NatsTest
class HeartbeatSchedulerTest {
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");
    static final AssetLimits LIMITS = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
            Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024,
            Duration.ofSeconds(30), 5, 64);

    static Org org(String company, int agents) {
        StringBuilder sb = new StringBuilder("company: " + company + "\n"
                + "defaults: { heartbeat: { every: 1m } }\nteams: { ops: {} }\nhumans: [ { id: boss } ]\nagents:\n");
        for (int i = 0; i < agents; i++) {
            sb.append("  - { id: a").append(i).append(", role: role-ops, team: ops, reports_to: boss }\n");
        }
        return OrgLoader.parse(sb.toString(), "test");
    }

    static Connection setUp(NatsServer server, Org org) throws Exception {
        Connection c = Nats.connect(server.clientUrl());
        OrgAssets assets = OrgAssets.of(org, LIMITS);
        AssetApplier applier = new AssetApplier(c.jetStreamManagement(), c.keyValueManagement(),
                org.subjects().assetPrefix());
        applier.apply(assets, applier.plan(assets), false);
        return c;
    }

    static JetStreamTickSink sink(Connection c, Subjects s) throws Exception {
        return new JetStreamTickSink(c.jetStream(), c.jetStreamManagement(), s, "heartbeat");
    }

    @Test
    void twoInstancesOverFiftySlotsOfTwentyAgentsDeliverEachSlotOnce(NatsServer server) throws Exception {
        Org org = org("twin", 20);
        Subjects s = org.subjects();
        try (Connection admin = setUp(server, org);
                Connection ca = Nats.connect(server.clientUrl());
                Connection cb = Nats.connect(server.clientUrl())) {
            JetStreamTickSink sinkA = sink(ca, s);
            JetStreamTickSink sinkB = sink(cb, s);
            HeartbeatScheduler a = new HeartbeatScheduler(sinkA);
            HeartbeatScheduler b = new HeartbeatScheduler(sinkB);
            Instant now = T0.plusSeconds(1);
            assertThat(a.load(org, now)).isEmpty();
            assertThat(b.load(org, now)).isEmpty();

            // agent a7's consumer, read as the agent would, while the instances fire
            JetStreamSubscription watcher = admin.jetStream().subscribe(s.heartbeat("a7"),
                    PullSubscribeOptions.bind(s.heartbeatStream(), "hb-a7"));
            List<String> a7 = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread reader = Thread.ofVirtual().start(() -> {
                while (reading.get()) {
                    for (Message m : watcher.fetch(1, Duration.ofMillis(200))) {
                        a7.add(EnvelopeCodec.decode(m.getData()).id());
                        m.ack();
                    }
                }
            });
            for (int slot = 1; slot <= 50; slot++) {
                now = T0.plus(Duration.ofMinutes(slot)).plusMillis(5);
                List<Tick> fa = a.fire(now);
                List<Tick> fb = b.fire(now);
                assertThat(fa).hasSize(20);
                assertThat(fb).extracting(Tick::id)
                        .containsExactlyInAnyOrderElementsOf(fa.stream().map(Tick::id).toList());
                int round = slot;
                await().pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10)).until(
                        () -> sinkA.stored() + sinkA.duplicates() + sinkB.stored() + sinkB.duplicates() == 40L * round);
                String expected = "hb-a7-e" + (T0.toEpochMilli() / 60_000 + slot);
                await().pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10))
                        .until(() -> a7.contains(expected));
            }
            reading.set(false);
            reader.join(Duration.ofSeconds(5));
            assertThat(sinkA.failed() + sinkB.failed()).isZero();
            assertThat(sinkA.stored() + sinkB.stored()).as("each of 1,000 slots stored once").isEqualTo(1000);
            assertThat(sinkA.duplicates() + sinkB.duplicates()).as("the other instance's copy refused").isEqualTo(1000);
            assertThat(
                    admin.jetStreamManagement().getStreamInfo(s.heartbeatStream()).getStreamState().getLastSequence())
                    .isEqualTo(1000);
            assertThat(a7).as("the agent's consumer saw every slot once, in order").hasSize(50).doesNotHaveDuplicates();
        }
    }

    @Test
    void afterTenMissedSlotsEachAgentGetsOneTickNotTen(NatsServer server) throws Exception {
        Org org = org("misfire", 5);
        Subjects s = org.subjects();
        try (Connection admin = setUp(server, org)) {
            HeartbeatScheduler first = new HeartbeatScheduler(sink(admin, s));
            first.load(org, T0.plusSeconds(1));
            assertThat(first.fire(T0.plus(Duration.ofMinutes(1)))).hasSize(5);
            await().atMost(Duration.ofSeconds(5)).until(() -> lastSeq(admin, s) == 5);
            for (int i = 0; i < 5; i++) {
                drain(admin, s, "a" + i);
            }

            // nobody runs for ten slots; a new instance starts
            Instant restart = T0.plus(Duration.ofMinutes(11)).plusSeconds(20);
            HeartbeatScheduler second = new HeartbeatScheduler(sink(admin, s));
            List<Tick> owed = second.load(org, restart);
            assertThat(owed).hasSize(5).allMatch(Tick::catchUp);
            assertThat(owed).extracting(t -> t.slot().at()).containsOnly(T0.plus(Duration.ofMinutes(11)));
            await().atMost(Duration.ofSeconds(5)).until(() -> lastSeq(admin, s) == 10);
            for (int i = 0; i < 5; i++) {
                assertThat(drain(admin, s, "a" + i)).as("agent a%d", i).isEqualTo(1);
            }
            assertThat(second.nextDue()).contains(T0.plus(Duration.ofMinutes(12)));
            // a stalled loop also owes one tick, not a burst
            assertThat(second.fire(T0.plus(Duration.ofMinutes(20)))).hasSize(5);
            assertThat(second.nextDue()).contains(T0.plus(Duration.ofMinutes(21)));
        }
    }

    @Test
    void aSlotsTicksArePreparedBeforeItAndPublishedAsPreparedWhenItComes(NatsServer server) throws Exception {
        Org org = org("ahead", 20);
        Subjects s = org.subjects();
        try (Connection admin = setUp(server, org)) {
            JetStreamTickSink sink = sink(admin, s);
            HeartbeatScheduler scheduler = new HeartbeatScheduler(sink);
            scheduler.load(org, T0.plusSeconds(1));
            Instant slot = scheduler.nextDue().orElseThrow();
            assertThat(scheduler.prepare(slot)).as("every agent's tick at the slot").isEqualTo(20);
            assertThat(sink.preparedCount()).isEqualTo(20);
            assertThat(scheduler.prepare(slot)).as("once per slot").isZero();

            List<Tick> fired = scheduler.fire(slot);
            assertThat(fired).hasSize(20);
            assertThat(sink.preparedCount()).as("each prepared tick was the one published").isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> lastSeq(admin, s) == 20);
            JetStreamSubscription a3 = admin.jetStream().subscribe(s.heartbeat("a3"),
                    PullSubscribeOptions.bind(s.heartbeatStream(), "hb-a3"));
            List<Message> got = a3.fetch(5, Duration.ofMillis(500));
            assertThat(got).hasSize(1);
            assertThat(got.get(0).getHeaders().getFirst("Nats-Msg-Id")).isEqualTo(
                    fired.stream().filter(t -> t.agent().equals("a3")).findFirst().orElseThrow().id());
            assertThat(EnvelopeCodec.decode(got.get(0).getData()).ts()).isEqualTo(slot);

            // prepared and then the org changed: nothing stale is kept
            Instant next = scheduler.nextDue().orElseThrow();
            assertThat(scheduler.prepare(next)).isEqualTo(20);
            scheduler.load(org("ahead", 5), slot.plusSeconds(1));
            assertThat(sink.preparedCount()).isZero();
        }
    }

    static long lastSeq(Connection c, Subjects s) throws Exception {
        return c.jetStreamManagement().getStreamInfo(s.heartbeatStream()).getStreamState().getLastSequence();
    }

    static int drain(Connection c, Subjects s, String agent) throws Exception {
        JetStreamSubscription sub = c.jetStream().subscribe(s.heartbeat(agent),
                PullSubscribeOptions.bind(s.heartbeatStream(), "hb-" + agent));
        int n = 0;
        for (Message m : sub.fetch(20, Duration.ofMillis(300))) {
            m.ack();
            n++;
        }
        sub.unsubscribe();
        return n;
    }

}
