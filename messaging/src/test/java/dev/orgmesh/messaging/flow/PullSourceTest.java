package dev.orgmesh.messaging.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/** The pull loop hands over what is stored, holds at most its credits, and touches its consumer when idle. */
@NatsTest
class PullSourceTest {

    @Test
    void deliversStoredMessagesAndPokesTheConsumerWhenIdle(NatsServer server) throws Exception {
        try (Connection c = NatsConnector.connect(NatsSettings.of(server.clientUrl()))) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("PS").subjects("ps.>").storageType(StorageType.Memory)
                    .build());
            jsm.addOrUpdateConsumer("PS", ConsumerConfiguration.builder().durable("d").filterSubject("ps.>")
                    .ackPolicy(AckPolicy.Explicit).build());
            List<String> got = new CopyOnWriteArrayList<>();
            try (PullSource source = new PullSource("ps", c.jetStream(), jsm, "PS", "d", 2, Duration.ofMillis(200),
                    Backoff.defaults(), (m, release) -> {
                        got.add(new String(m.getData()));
                        m.ack();
                        release.run();
                    }).idlePoke(Duration.ofMillis(300)).start()) {
                await().atMost(Duration.ofSeconds(10)).until(source::isBound);
                for (int i = 0; i < 5; i++) {
                    c.jetStream().publish("ps.x", ("m" + i).getBytes());
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 5);
                assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4");
                long before = source.pokes();
                await("an idle source asks for its consumer's info").atMost(Duration.ofSeconds(5))
                        .until(() -> source.pokes() >= before + 2);
            }
        }
    }
}
