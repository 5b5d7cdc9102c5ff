package dev.orgmesh.messaging.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
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
    void aBurstWiderThanTheWindowAndOneThatMustWaitForAStreamAreStoredOnceEachAndInOrder(NatsServer server)
            throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("OB4").subjects("ob4.>").storageType(StorageType.Memory)
                    .build());
            try (Outbox outbox = new Outbox(c.jetStream(), 10_000, QUICK, Duration.ofMillis(500))) {
                // from several threads at once: the queue's order (the outbox's lock) is the order handed over
                List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
                List<CompletableFuture<PublishAck>> acks = java.util.Collections.synchronizedList(new ArrayList<>());
                try (var threads = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                    for (int t = 0; t < 4; t++) {
                        int thread = t;
                        threads.submit(() -> {
                            for (int i = 0; i < 100; i++) {
                                synchronized (ids) { // hand over and remember in one step
                                    String id = "w-" + thread + "-" + i;
                                    ids.add(id);
                                    acks.add(outbox.publish(message("ob4.x", id)));
                                }
                            }
                        });
                    }
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
                assertThat(stored(jsm, "OB4", ids.size())).as("4 × 100 at once, %d in flight at most", Outbox.WINDOW)
                        .containsExactlyElementsOf(ids);

                // no stream for ob5 yet: every first attempt in the window fails, the rest wait, all are retried
                List<String> later = new ArrayList<>();
                List<CompletableFuture<PublishAck>> laterAcks = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    later.add("l-" + i);
                    laterAcks.add(outbox.publish(message("ob5.x", "l-" + i)));
                }
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                        .until(() -> !laterAcks.getFirst().isDone());
                jsm.addStream(StreamConfiguration.builder().name("OB5").subjects("ob5.>")
                        .storageType(StorageType.Memory).build());
                CompletableFuture.allOf(laterAcks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                assertThat(stored(jsm, "OB5", later.size())).as("retried in order, once each")
                        .containsExactlyElementsOf(later);
                assertThat(jsm.getStreamInfo("OB5").getStreamState().getMsgCount()).isEqualTo(later.size());
                // and the window opens again once the retries are over
                outbox.publish(message("ob5.x", "after")).get(5, TimeUnit.SECONDS);
                assertThat(jsm.getStreamInfo("OB5").getStreamState().getMsgCount()).isEqualTo(later.size() + 1);
            }
        }
    }

    static List<String> stored(JetStreamManagement jsm, String stream, int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (long seq = 1; seq <= n; seq++) {
            out.add(new String(jsm.getMessage(stream, seq).getData(), StandardCharsets.UTF_8));
        }
        return out;
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

    @Test
    void whatTheJournalHeldIsSentFirstInOrderAndOneAlreadyStoredIsADuplicateTheStreamDrops(NatsServer server,
            @TempDir Path dir) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("OB6").subjects("ob6.>").storageType(StorageType.Memory)
                    .build());
            // a run that died: j-1 was stored but its acknowledgement never reached the journal, j-2 and j-3 were not
            try (OutboxJournal before = OutboxJournal.open(dir)) {
                for (int i = 1; i <= 3; i++) {
                    before.sync(before.append(message("ob6.x", "j-" + i)));
                }
            }
            c.jetStream().publish("ob6.x", null, "j-1".getBytes(StandardCharsets.UTF_8),
                    PublishOptions.builder().messageId("j-1").build());

            OutboxJournal journal = OutboxJournal.open(dir);
            assertThat(journal.recovered()).hasSize(3);
            try (Outbox outbox = new Outbox(c.jetStream(), 100, QUICK, Duration.ofSeconds(2), journal)) {
                outbox.publish(message("ob6.x", "new")).get(5, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(5)).until(() -> outbox.pending() == 0);
                assertThat(journal.liveCount()).as("all acknowledged in the journal").isZero();
                assertThat(stored(jsm, "OB6", 4)).as("once each, the journal's first")
                        .containsExactly("j-1", "j-2", "j-3", "new");
                assertThat(jsm.getStreamInfo("OB6").getStreamState().getMsgCount()).isEqualTo(4);
            }
            try (OutboxJournal after = OutboxJournal.open(dir)) {
                assertThat(after.recovered()).as("nothing to send again").isEmpty();
            }
        }
    }
}
