package dev.orgmesh.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

@NatsTest
class HubTopologyTest {

    @Test
    void startsTheRequestedLeavesConnectedToTheHub(@Leaves(2) HubTopology topology) {
        assertThat(topology.leaves()).hasSize(2);
        assertThat(topology.hub().leafnodePort()).isPositive();
        assertThat(topology.leaves()).allSatisfy(leaf -> assertThat(leaf.isRunning()).isTrue());
    }

    @Test
    void messageFromOneLeafReachesASubscriberOnAnotherLeafThroughTheHub(@Leaves(2) HubTopology topology)
            throws Exception {
        String subject = "leaf.to.leaf." + Clients.uniqueName("s");
        try (Connection publisher = Clients.connect(topology.leaf(0).clientUrl());
                Connection subscriber = Clients.connect(topology.leaf(1).clientUrl())) {
            Subscription subscription = subscriber.subscribe(subject);
            subscriber.flush(Duration.ofSeconds(2));
            AtomicReference<Message> received = new AtomicReference<>();

            // Interest travels leaf 1 -> hub -> leaf 0 asynchronously: publish until it has arrived.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                publisher.publish(subject, "hello".getBytes(UTF_8));
                received.set(subscription.nextMessage(Duration.ofMillis(200)));
                return received.get() != null;
            });

            assertThat(new String(received.get().getData(), UTF_8)).isEqualTo("hello");
        }
    }

    @Test
    void clientOnALeafUsesAStreamOnTheHubThroughTheJetStreamDomain(@Leaves(2) HubTopology topology) throws Exception {
        String stream = Clients.uniqueName("S");
        String subject = stream + ".events";
        JetStreamOptions hubDomain = JetStreamOptions.builder().domain(HubTopology.JS_DOMAIN).build();
        try (Connection leafClient = Clients.connect(topology.leaf(0).clientUrl())) {
            JetStreamManagement jsm = leafClient.jetStreamManagement(hubDomain);
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject)
                            .storageType(StorageType.File).build()) != null);
            jsm.addOrUpdateConsumer(stream,
                    ConsumerConfiguration.builder().durable("reader").filterSubject(subject)
                            .ackPolicy(AckPolicy.Explicit).build());

            JetStream js = leafClient.jetStream(hubDomain);
            // The stream's interest reaches the leaf asynchronously; the message id makes a retry idempotent.
            PublishOptions once = PublishOptions.builder().messageId("m-1").build();
            AtomicReference<PublishAck> ack = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> ack.compareAndSet(null, js.publish(subject, "stored".getBytes(UTF_8), once)));
            assertThat(ack.get().getStream()).isEqualTo(stream);
            assertThat(ack.get().getDomain()).isEqualTo(HubTopology.JS_DOMAIN);

            JetStreamSubscription pull = js.subscribe(subject, PullSubscribeOptions.bind(stream, "reader"));
            List<Message> fetched = pull.fetch(1, Duration.ofSeconds(5));
            assertThat(fetched).hasSize(1);
            assertThat(new String(fetched.getFirst().getData(), UTF_8)).isEqualTo("stored");
            fetched.getFirst().ack();
        }
    }
}
