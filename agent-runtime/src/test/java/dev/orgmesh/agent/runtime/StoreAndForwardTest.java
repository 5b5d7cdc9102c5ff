package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * What an agent sends while the hub is down arrives once when it is back (file storage survives the restart), also
 * when the agent was killed meanwhile and started again on its outbox's journal.
 */
@NatsTest
@Leaves(1)
class StoreAndForwardTest {
    static final int REPORTS = 100;

    @Test
    void reportsSentWhileTheHubIsDownArriveOnceWhenItIsBack(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.File)) {
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1", Handler.NOTHING, null, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(dev1.runtime()::isReady);

            topology.hub().stop();
            List<CompletableFuture<PublishAck>> sent = new ArrayList<>();
            for (int i = 0; i < REPORTS; i++) {
                sent.add(dev1.runtime().send(Fixture.envelope("dev1", "ceo", "report").id("report-" + i)
                        .status("complete").summary("part " + i).build()));
            }
            assertThat(dev1.runtime().outboxPending()).as("held while the hub is away").isPositive();
            assertThat(sent).noneMatch(CompletableFuture::isDone);

            topology.hub().restart();
            topology.awaitLeavesConnected(Duration.ofSeconds(15));
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30,
                    java.util.concurrent.TimeUnit.SECONDS);
            // the drainer clears its in-flight slot just after completing the last future
            await().atMost(Duration.ofSeconds(5)).until(() -> dev1.runtime().outboxPending() == 0);

            // the hub-side client reconnects by itself
            JetStreamSubscription ceo = await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> f.bind(f.subjects.inboxStream(), "dm-ceo"), Objects::nonNull);
            Map<String, Integer> arrived = new HashMap<>();
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                for (Message m : ceo.fetch(REPORTS, Duration.ofMillis(500))) {
                    Envelope e = EnvelopeCodec.decode(m.getData());
                    assertThat(e.from()).isEqualTo("dev1");
                    arrived.merge(e.id(), 1, Integer::sum);
                    m.ack();
                }
                return arrived.size() == REPORTS;
            });
            assertThat(ceo.fetch(10, Duration.ofMillis(500))).as("nothing more").isEmpty();
            assertThat(arrived.values()).as("each report once").allMatch(n -> n == 1);
        }
    }

    @Test
    void reportsSentBeforeTheAgentWasKilledArriveOnceFromItsJournal(HubTopology topology, @TempDir Path journal)
            throws Exception {
        int reports = 30;
        try (Fixture f = Fixture.start(topology, StorageType.File)) {
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1", Handler.NOTHING, null,
                    Fixture.options().withOutboxJournal(journal));
            await().atMost(Duration.ofSeconds(10)).until(dev1.runtime()::isReady);

            topology.hub().stop();
            for (int i = 0; i < reports; i++) {
                CompletableFuture<PublishAck> sent = dev1.runtime().send(Fixture.envelope("dev1", "ceo", "report")
                        .id("journaled-" + i).status("complete").summary("part " + i).build());
                assertThat(sent).as("accepted: on disk, not yet stored").isNotDone();
            }
            dev1.kill(); // its outbox, in memory, is gone; the journal is not

            topology.hub().restart();
            topology.awaitLeavesConnected(Duration.ofSeconds(15));
            Fixture.Running again = f.runtime(topology.leaf(0), "dev1", Handler.NOTHING, null,
                    Fixture.options().withOutboxJournal(journal));
            await().atMost(Duration.ofSeconds(30)).until(() -> again.runtime().outboxPending() == 0);

            JetStreamSubscription ceo = await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> f.bind(f.subjects.inboxStream(), "dm-ceo"), Objects::nonNull);
            Map<String, Integer> arrived = new HashMap<>();
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                for (Message m : ceo.fetch(reports, Duration.ofMillis(500))) {
                    arrived.merge(EnvelopeCodec.decode(m.getData()).id(), 1, Integer::sum);
                    m.ack();
                }
                return arrived.size() == reports;
            });
            assertThat(ceo.fetch(10, Duration.ofMillis(500))).as("nothing more").isEmpty();
            assertThat(arrived.values()).as("each report once").allMatch(n -> n == 1);
        }
    }
}
