package dev.orgmesh.messaging.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/**
 * The pull loop on a real server: it delivers, its watchdog names a loop that is stuck instead of staying silent, and on
 * demand it takes only what was requested.
 */
@NatsTest
class PullSourceTest {

    /** Memory stream {@code name} on {@code prefix.>} with durable {@code d} on {@code prefix.a}. */
    static JetStreamManagement streamWithDurable(Connection c, String name, String prefix, Duration ackWait)
            throws Exception {
        JetStreamManagement jsm = c.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(prefix + ".>").storageType(StorageType.Memory)
                .build());
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("d").filterSubject(prefix + ".a")
                .ackPolicy(AckPolicy.Explicit).ackWait(ackWait).build());
        return jsm;
    }

    @Test
    void aStuckHandOffIsReportedOnceAndTheLoopCarriesOnAfterIt(NatsServer server) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStreamManagement jsm = streamWithDurable(c, "PS", "ps", Duration.ofSeconds(30));
            CountDownLatch unblock = new CountDownLatch(1);
            List<String> got = new CopyOnWriteArrayList<>();
            PullSource source = new PullSource("test", c.jetStream(), jsm, "PS", "d", 2, Duration.ofMillis(300),
                    Backoff.defaults(), (m, release) -> {
                        got.add(new String(m.getData(), StandardCharsets.UTF_8));
                        if (got.size() == 1) {
                            try {
                                unblock.await(10, TimeUnit.SECONDS); // a sink that does not hand off quickly
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        m.ack();
                        release.run();
                    }).start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(source::isBound);
                c.jetStream().publish("ps.a", "first".getBytes(StandardCharsets.UTF_8));
                await().atMost(Duration.ofSeconds(6)).until(() -> source.stuckEpisodes() == 1);
                assertThat(source.describe()).contains("HANDING_OFF").contains("1 message(s)");

                unblock.countDown();
                c.jetStream().publish("ps.a", "second".getBytes(StandardCharsets.UTF_8));
                await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 2);
                assertThat(got).containsExactly("first", "second");
                assertThat(source.pulls()).isGreaterThanOrEqualTo(2);
                // the watchdog looks every second: over 1.5 s an idle, healthy loop is not reported again
                await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3))
                        .until(() -> source.stuckEpisodes() == 1);
            } finally {
                source.close();
            }
        }
    }

    @Test
    void aMessageTheSinkThrowsOnIsRedeliveredAtOnceAndItsCreditReturned(NatsServer server) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            // ack_wait far beyond the test: only a nak can bring the message back in time
            JetStreamManagement jsm = streamWithDurable(c, "PT", "pt", Duration.ofMinutes(5));
            List<String> handled = new CopyOnWriteArrayList<>();
            List<Long> deliveries = new CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicInteger throwsLeft = new java.util.concurrent.atomic.AtomicInteger(1);
            // one credit: had the refused message kept it, nothing more would ever be pulled
            PullSource source = new PullSource("test", c.jetStream(), jsm, "PT", "d", 1, Duration.ofMillis(300),
                    Backoff.defaults(), (m, release) -> {
                        deliveries.add(m.metaData().deliveredCount());
                        if (throwsLeft.getAndDecrement() > 0) {
                            // what Mutiny's first use threw in two runtimes at once (see MutinyStart)
                            throw new IllegalStateException("ContextManagerProvider already set");
                        }
                        handled.add(new String(m.getData(), StandardCharsets.UTF_8));
                        m.ack();
                        release.run();
                    }).start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(source::isBound);
                c.jetStream().publish("pt.a", "first".getBytes(StandardCharsets.UTF_8));
                c.jetStream().publish("pt.a", "second".getBytes(StandardCharsets.UTF_8));
                await().atMost(Duration.ofSeconds(10)).until(() -> handled.size() == 2);
                assertThat(handled).containsExactlyInAnyOrder("first", "second");
                assertThat(source.sinkFailures()).isEqualTo(1);
                assertThat(deliveries).as("the refused message came back as a redelivery, nothing else twice")
                        .containsExactlyInAnyOrder(1L, 2L, 1L);
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                        jsm.getConsumerInfo("PT", "d").getNumAckPending()).isZero());
            } finally {
                source.close();
            }
        }
    }
    @Test
    void onDemandItTakesFromTheServerOnlyWhatWasRequested(NatsServer server) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStreamManagement jsm = streamWithDurable(c, "PD", "pd", Duration.ofMinutes(5));
            for (int i = 0; i < 5; i++) {
                c.jetStream().publish("pd.a", ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            List<Message> got = new CopyOnWriteArrayList<>();
            PullSource source = PullSource.onDemand("test", c.jetStream(), jsm, "PD", "d", Duration.ofMillis(300),
                    Backoff.defaults(), got::add).start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(source::isBound);
                // over several pulls' waits: nothing requested, nothing taken
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(got::isEmpty);

                source.request(2);
                await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 2);
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                    assertThat(got).hasSize(2);
                    assertThat(jsm.getConsumerInfo("PD", "d").getNumPending()).as("left in the stream").isEqualTo(3);
                });

                source.request(3);
                await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 5);
                assertThat(got).extracting(m -> new String(m.getData(), StandardCharsets.UTF_8))
                        .containsExactly("m0", "m1", "m2", "m3", "m4");
                assertThat(jsm.getConsumerInfo("PD", "d").getNumAckPending()).as("settling is the sink's").isEqualTo(5);
            } finally {
                source.close();
            }
        }
    }
}
