package dev.orgmesh.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.StorageType;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/** Liveness in real time with two heartbeat engines watching the same presence bucket. */
@NatsTest
class HeartbeatEngineTest {
    static final Duration BEACON = Duration.ofMillis(300);
    static final Duration CHECK = Duration.ofMillis(100);

    @Test
    void aSilentAgentIsDownWithOneEscalationThenUpWhenItReturns(NatsServer server) throws Exception {
        Org org = OrgLoader.parse("""
                company: live
                defaults: { heartbeat: { every: 1h } }
                teams: { ops: {} }
                humans: [ { id: boss } ]
                agents:
                  - { id: lead, role: role-lead, team: ops, reports_to: boss }
                  - { id: worker, role: role-ops, team: ops, reports_to: lead }
                """, "test");
        Subjects s = org.subjects();
        AssetLimits limits = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024,
                Duration.ofSeconds(30), 5, 64);
        ScheduledExecutorService beaconer = Executors.newSingleThreadScheduledExecutor();
        try (Connection admin = Nats.connect(server.clientUrl())) {
            AssetApplier applier = new AssetApplier(admin.jetStreamManagement(), admin.keyValueManagement(),
                    s.assetPrefix());
            OrgAssets assets = OrgAssets.of(org, limits);
            applier.apply(assets, applier.plan(assets), false);
            KeyValue presence = admin.keyValue(s.presenceBucket());

            Subscription escalations = admin.subscribe(s.inbox("lead"));
            NatsSettings settings = NatsSettings.of(server.clientUrl());
            try (Connection c1 = Nats.connect(server.clientUrl());
                    Connection c2 = Nats.connect(server.clientUrl());
                    HeartbeatEngine e1 = new HeartbeatEngine(c1, settings, InstantSource.system(), CHECK, "heartbeat");
                    HeartbeatEngine e2 = new HeartbeatEngine(c2, settings, InstantSource.system(), CHECK,
                            "heartbeat")) {
                e1.start();
                e2.start();
                e1.setOrg(org);
                e2.setOrg(org);

                AtomicReference<Instant> lastBeacon = new AtomicReference<>();
                ScheduledFuture<?> beating = beaconer.scheduleAtFixedRate(() -> {
                    Instant now = Instant.now();
                    try {
                        presence.put("worker", new Presence("worker", now, BEACON.toMillis(), "up").encode());
                        lastBeacon.set(now);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                await().atMost(Duration.ofSeconds(5)).until(() -> e1.state("worker") == Liveness.UP
                        && e2.state("worker") == Liveness.UP);

                beating.cancel(false);
                await().atMost(Duration.ofSeconds(2)).until(beating::isDone);
                Message first = escalations.nextMessage(Duration.ofSeconds(5));
                assertThat(first).as("an escalation reaches the manager").isNotNull();
                Instant arrived = Instant.now();
                Envelope esc = EnvelopeCodec.decode(first.getData());
                assertThat(esc.type()).isEqualTo("escalation");
                assertThat(esc.subject()).contains("worker is down");
                assertThat(Duration.between(lastBeacon.get(), arrived))
                        .as("within three beacon intervals plus one second")
                        .isLessThanOrEqualTo(BEACON.multipliedBy(3).plusSeconds(1));

                // one escalation and one agent.down in the streams, though two engines noticed
                JetStreamSubscription inbox = admin.jetStream().subscribe(s.inbox("lead"),
                        PullSubscribeOptions.bind(s.inboxStream(), "dm-lead"));
                List<Message> stored = inbox.fetch(10, Duration.ofSeconds(1));
                assertThat(stored).hasSize(1);
                stored.forEach(Message::ack);
                assertThat(count(admin, s.event("heartbeat", "agent.down"))).isEqualTo(1);

                // it comes back
                beaconer.scheduleAtFixedRate(() -> {
                    try {
                        presence.put("worker", new Presence("worker", Instant.now(), BEACON.toMillis(), "up").encode());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                await().atMost(Duration.ofSeconds(5)).until(() -> count(admin, s.event("heartbeat", "agent.up")) == 1);
                assertThat(e1.state("worker")).isEqualTo(Liveness.UP);
                assertThat(inbox.fetch(10, Duration.ofMillis(500))).as("no further escalation").isEmpty();
                assertThat(e1.state("lead")).as("never seen, so not paged").isEqualTo(Liveness.UNKNOWN);
            }
        } finally {
            beaconer.shutdownNow();
        }
    }

    static long count(Connection c, String subject) throws Exception {
        var si = c.jetStreamManagement().getStreamInfo("OM_LIVE_EVENTS",
                io.nats.client.api.StreamInfoOptions.builder().filterSubjects(subject).build());
        return si.getStreamState().getSubjectMap().getOrDefault(subject, 0L);
    }
}
