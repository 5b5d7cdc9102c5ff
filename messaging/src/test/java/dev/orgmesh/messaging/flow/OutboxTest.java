package dev.orgmesh.messaging.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/**
 * The outbox on a real server: a message that finds it idle leaves from the caller's thread, the rest from the
 * drainer, and either way every message is stored once and in the order it was handed over; a message no stream
 * answers yet is retried until one does; a message the stream refuses fails at once.
 */
@NatsTest
class OutboxTest {
    static final Backoff QUICK = new Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

    static OutboundMessage message(String subject, String id) {
        return new OutboundMessage(subject, null, id.getBytes(StandardCharsets.UTF_8), id);
    }

    @Test
    void aBurstIsStoredOnceEachAndInOrder(NatsServer server) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("OB1").subjects("ob1.>").storageType(StorageType.Memory)
                    .build());
            try (Outbox outbox = new Outbox(c.jetStream(), 1000, QUICK, Duration.ofSeconds(2))) {
                List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
                List<String> ids = new ArrayList<>();
                for (int round = 0; round < 20; round++) {
                    // an idle outbox (its first attempt from this thread), then a burst behind it (the drainer's)
                    for (int i = 0; i < 10; i++) {
                        String id = "m-" + round + "-" + i;
                        ids.add(id);
                        acks.add(outbox.publish(message("ob1.x", id)));
                    }
                    acks.getLast().get(5, TimeUnit.SECONDS);
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
                assertThat(acks).allSatisfy(f -> assertThat(f.get().isDuplicate()).isFalse());
                // the drainer lets go of the last message just after completing its future
                await().atMost(Duration.ofSeconds(2)).until(() -> outbox.pending() == 0);
                assertThat(outbox.publishedCount()).isEqualTo(ids.size());
                List<String> stored = new ArrayList<>();
                for (long seq = 1; seq <= ids.size(); seq++) {
                    stored.add(new String(jsm.getMessage("OB1", seq).getData(), StandardCharsets.UTF_8));
                }
                assertThat(stored).as("stored in the order handed over").containsExactlyElementsOf(ids);
                assertThat(jsm.getStreamInfo("OB1").getStreamState().getMsgCount()).isEqualTo(ids.size());
            }
        }
    }

    @Test
    void aMessageNoStreamAnswersYetIsRetriedUntilOneDoesAndStoredOnce(NatsServer server) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            try (Outbox outbox = new Outbox(c.jetStream(), 10, QUICK, Duration.ofMillis(300))) {
                CompletableFuture<PublishAck> first = outbox.publish(message("ob2.x", "early"));
                CompletableFuture<PublishAck> second = outbox.publish(message("ob2.x", "later"));
                // a few attempts find no stream ("no responders"): nothing completes meanwhile
                await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> !first.isDone());
                c.jetStreamManagement().addStream(StreamConfiguration.builder().name("OB2").subjects("ob2.>")
                        .storageType(StorageType.Memory).build());
                assertThat(first.get(5, TimeUnit.SECONDS).getSeqno()).isEqualTo(1);
                assertThat(second.get(5, TimeUnit.SECONDS).getSeqno()).isEqualTo(2);
                assertThat(c.jetStreamManagement().getStreamInfo("OB2").getStreamState().getMsgCount())
                        .isEqualTo(2);
            }
        }
    }

    @Test
    void aMessageTheStreamRefusesFailsAtOnceAndTheNextGoesOn(NatsServer server) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            c.jetStreamManagement().addStream(StreamConfiguration.builder().name("OB3").subjects("ob3.>")
                    .storageType(StorageType.Memory).maxMsgSize(64).build());
            try (Outbox outbox = new Outbox(c.jetStream(), 10, QUICK, Duration.ofSeconds(2))) {
                CompletableFuture<PublishAck> big = outbox.publish(new OutboundMessage("ob3.x", null, new byte[1024],
                        "big"));
                CompletableFuture<PublishAck> small = outbox.publish(message("ob3.x", "small"));
                try {
                    big.get(5, TimeUnit.SECONDS);
                    throw new AssertionError("a message over max_msg_size was stored");
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(OrgmeshException.class);
                    assertThat(((OrgmeshException) e.getCause()).code())
                            .isEqualTo(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED);
                    assertThat(e.getCause().getMessage()).contains("stream refused");
                }
                assertThat(small.get(5, TimeUnit.SECONDS).getSeqno()).isEqualTo(1);
            }
        }
    }
}
