package dev.orgmesh.service.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.spi.ConnectorFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.smallrye.config.SmallRyeConfigBuilder;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.service.NatsClient;
import dev.orgmesh.service.TestNats;
import dev.orgmesh.testkit.NatsServer;

/**
 * The {@code orgmesh-nats} connector on a real nats-server, through the SPI Reactive Messaging calls
 * ({@code getPublisher} with the channel's attributes) and a subscriber that requests as a channel's consumer does.
 */
class NatsInboundConnectorTest {
    private final List<AutoCloseable> closers = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closers.reversed()) {
            c.close();
        }
    }

    @Test
    void messagesOnTheSubjectArriveInOrderAndOthersDoNot() throws Exception {
        NatsServer server = keep(NatsServer.jetStream());
        String co = "co" + UUID.randomUUID().toString().substring(0, 8);
        NatsInboundConnector connector = connector(server, new ChannelSubjects());
        Consumer<Message<?>> consumer = new Consumer<>(Long.MAX_VALUE);
        connector.getPublisher(channel("feed", Map.of("subject", co + ".>"))).subscribe(consumer);
        await().atMost(Duration.ofSeconds(10)).until(() -> connector.subscribed("feed"));

        try (Connection publisher = Nats.connect(server.clientUrl())) {
            for (int i = 0; i < 100; i++) {
                publisher.publish(co + ".dm.a" + (i % 3), bytes(i));
                if (i == 50) {
                    publisher.publish(co + "x.dm.a0", bytes("stray"));
                    publisher.publish("other." + co + ".dm.a0", bytes("stray"));
                    publisher.publish(co, bytes("stray"));
                }
            }
            publisher.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.received.size() >= 100);

        assertThat(consumer.payloads()).containsExactlyElementsOf(
                IntStream.range(0, 100).mapToObj(String::valueOf).toList());
        assertThat(consumer.received).allSatisfy(m -> assertThat(m.getMetadata(NatsMetadata.class))
                .hasValueSatisfying(meta -> assertThat(meta.subject()).startsWith(co + ".dm.a")));
        assertThat(consumer.received.get(4).getMetadata(NatsMetadata.class).orElseThrow().subject())
                .isEqualTo(co + ".dm.a1");
        assertThat(connector.delivered("feed")).isEqualTo(100);
        assertThat(connector.dropped("feed")).isZero();
        assertThat(consumer.error.get()).isNull();

        connector.close();
        assertThat(connector.subscribed("feed")).isFalse();
    }

    @Test
    void aSlowConsumerLosesTheOldestAndTheDropsAreCounted() throws Exception {
        NatsServer server = keep(NatsServer.jetStream());
        String subject = "slow." + UUID.randomUUID();
        NatsInboundConnector connector = connector(server, new ChannelSubjects());
        CountDownLatch busy = new CountDownLatch(1);
        Consumer<Message<?>> consumer = new Consumer<>(1) {
            @Override
            public void onNext(Message<?> item) {
                super.onNext(item);
                if (received.size() == 1) {
                    // the consumer is slow: it holds on to the first message until the test lets it go
                    hold(busy);
                }
                subscription.request(1);
            }
        };
        connector.getPublisher(channel("slow", Map.of("subject", subject, "buffer-size", "4"))).subscribe(consumer);
        await().atMost(Duration.ofSeconds(10)).until(() -> connector.subscribed("slow"));

        try (Connection publisher = Nats.connect(server.clientUrl())) {
            publisher.publish(subject, bytes(0));
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.received.size() == 1);
            for (int i = 1; i < 10; i++) {
                publisher.publish(subject, bytes(i));
            }
            publisher.flush(Duration.ofSeconds(5));
            // the dispatcher went on taking messages while the consumer was busy: four kept, the five oldest dropped
            await().atMost(Duration.ofSeconds(10)).until(() -> connector.dropped("slow") == 5);
            assertThat(connector.buffered("slow")).isEqualTo(4);
            busy.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.received.size() == 5);
        assertThat(consumer.payloads()).containsExactly("0", "6", "7", "8", "9");
        assertThat(connector.dropped("slow")).isEqualTo(5);
        assertThat(connector.delivered("slow")).isEqualTo(5);
        assertThat(connector.buffered("slow")).isZero();
    }

    @Test
    void subscribesOnceTheSubjectIsGivenAndNatsIsUp() throws Exception {
        NatsServer server = keep(NatsServer.jetStream());
        server.stop();
        ChannelSubjects subjects = new ChannelSubjects();
        NatsInboundConnector connector = connector(server, subjects);
        Consumer<Message<?>> consumer = new Consumer<>(Long.MAX_VALUE);
        connector.getPublisher(channel("late", Map.of())).subscribe(consumer);
        assertThat(connector.subscribed("late")).isFalse();

        String subject = "late." + UUID.randomUUID() + ".*";
        subjects.set("late", subject);
        subjects.set("late", subject);
        assertThatThrownBy(() -> subjects.set("late", "elsewhere.>")).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_MISCONFIGURED));
        assertThat(connector.subscribed("late")).isFalse();

        server.restart();
        await().atMost(Duration.ofSeconds(15)).until(() -> connector.subscribed("late"));
        try (Connection publisher = Nats.connect(server.clientUrl())) {
            publisher.publish(subject.replace("*", "x"), bytes("hello"));
            publisher.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.received.size() == 1);
        assertThat(consumer.payloads()).containsExactly("hello");
    }

    @Test
    void aBufferOfNothingIsRefused() {
        NatsInboundConnector connector = new NatsInboundConnector(null, new ChannelSubjects());
        assertThatThrownBy(() -> connector.getPublisher(channel("none", Map.of("subject", "x", "buffer-size", "0"))))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_MISCONFIGURED))
                .hasMessageContaining("buffer-size must be at least 1");
    }

    @Test
    void aChannelHasOneConsumerAndItMustAskForSomething() {
        DropOldestBuffer<String> buffer = new DropOldestBuffer<>("one", 2, () -> {
        });
        Consumer<String> first = new Consumer<>(0);
        buffer.subscribe(first);
        Consumer<String> second = new Consumer<>(0);
        buffer.subscribe(second);
        assertThat(second.error.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("one");

        first.subscription.request(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.error.get() != null);
        assertThat(first.error.get()).isInstanceOf(IllegalArgumentException.class);
        assertThat(buffer.offer("late")).isTrue();
        assertThat(first.received).isEmpty();
    }

    private NatsInboundConnector connector(NatsServer server, ChannelSubjects subjects) {
        NatsClient client = TestNats.client(server.clientUrl(), "channel-test");
        closers.add(() -> TestNats.stop(client));
        NatsInboundConnector connector = new NatsInboundConnector(client, subjects);
        closers.add(connector::close);
        return connector;
    }

    private NatsServer keep(NatsServer server) {
        closers.add(server);
        return server;
    }

    /** The channel's attributes as Reactive Messaging hands them to the connector. */
    private static Config channel(String name, Map<String, String> attributes) {
        Map<String, String> all = new HashMap<>(attributes);
        all.put(ConnectorFactory.CHANNEL_NAME_ATTRIBUTE, name);
        return new SmallRyeConfigBuilder().withDefaultValues(all).build();
    }

    private static byte[] bytes(Object o) {
        return String.valueOf(o).getBytes(StandardCharsets.UTF_8);
    }

    private static void hold(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the test never let the consumer go");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Records what it receives; requests {@code initial} at first. */
    static class Consumer<T> implements Flow.Subscriber<T> {
        final List<T> received = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final long initial;
        volatile Flow.Subscription subscription;

        Consumer(long initial) {
            this.initial = initial;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (initial > 0) {
                s.request(initial);
            }
        }

        @Override
        public void onNext(T item) {
            received.add(item);
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
        }

        @Override
        public void onComplete() {
            // a live channel never completes
        }

        List<String> payloads() {
            return received.stream().map(m -> new String((byte[]) ((Message<?>) m).getPayload(),
                    StandardCharsets.UTF_8)).toList();
        }
    }
}
