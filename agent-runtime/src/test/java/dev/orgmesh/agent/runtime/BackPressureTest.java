package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The stream lane takes messages from the server only as it has room: with a brain that blocks and concurrency 2, two
 * tasks are in the brain, the server counts exactly two as delivered and unacknowledged, and the other eight stay in
 * the stream, undelivered, for as long as the brain blocks (longer than {@code ack_wait}: the two it holds are kept in
 * progress, none is redelivered). Released, the brain gets every task once and every task is acked once.
 */
@NatsTest
@Leaves(1)
class BackPressureTest {
    static final int TASKS = 10;
    static final int CONCURRENCY = 2;

    @Test
    void aBlockedBrainLeavesTheRestInTheStreamAndEveryMessageIsHandledOnceReleased(HubTopology topology)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger inBrain = new AtomicInteger();
            AtomicInteger mostInBrain = new AtomicInteger();
            Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> completed = new ConcurrentHashMap<>();
            Handler blocking = (in, ctx) -> {
                mostInBrain.accumulateAndGet(inBrain.incrementAndGet(), Math::max);
                try {
                    release.await();
                    handled.computeIfAbsent(in.id(), k -> new AtomicInteger()).incrementAndGet();
                    return Outcome.nothing();
                } finally {
                    inBrain.decrementAndGet();
                }
            };
            RuntimeListener completions = new RuntimeListener() {
                @Override
                public void onCompleted(Envelope in, String source) {
                    completed.computeIfAbsent(in.id(), k -> new AtomicInteger()).incrementAndGet();
                }
            };
            for (int i = 0; i < TASKS; i++) {
                f.publish(f.subjects.tasks("role-backend", "cto"),
                        Fixture.envelope("cto", "role:role-backend", "task").id("task-" + i).build());
            }
            RuntimeOptions options = Fixture.options().withConcurrency(CONCURRENCY);
            assertThat(options.fetchBatch()).as("the lane's room").isEqualTo(CONCURRENCY);
            f.runtime(topology.leaf(0), "dev1", blocking, completions, options);

            await().atMost(Duration.ofSeconds(10)).until(() -> inBrain.get() == CONCURRENCY);
            // held across more than one ack_wait (2 s) and several pulls (each waits 500 ms): nothing more is taken
            await().during(Fixture.ACK_WAIT.plusSeconds(1)).atMost(Fixture.ACK_WAIT.plusSeconds(5))
                    .untilAsserted(() -> {
                        ConsumerInfo ci = tasks(f);
                        assertThat(ci.getNumAckPending()).as("delivered, not acked").isEqualTo(CONCURRENCY);
                        assertThat(ci.getNumPending()).as("not delivered").isEqualTo(TASKS - CONCURRENCY);
                        assertThat(ci.getRedelivered()).as("kept in progress, not redelivered").isZero();
                        assertThat(inBrain).hasValue(CONCURRENCY);
                    });

            release.countDown();
            await().atMost(Duration.ofSeconds(15)).until(() -> completed.size() == TASKS);
            assertThat(handled).hasSize(TASKS);
            assertThat(handled.values()).as("each in the brain once").allSatisfy(n -> assertThat(n).hasValue(1));
            assertThat(completed.values()).as("each acked once").allSatisfy(n -> assertThat(n).hasValue(1));
            assertThat(mostInBrain).as("never more in the brain than the concurrency").hasValue(CONCURRENCY);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                ConsumerInfo ci = tasks(f);
                assertThat(ci.getNumAckPending()).isZero();
                assertThat(ci.getNumPending()).isZero();
                assertThat(ci.getRedelivered()).isZero();
            });
        }
    }

    private static ConsumerInfo tasks(Fixture f) throws Exception {
        return f.jsm.getConsumerInfo(f.subjects.tasksStream(), Subjects.tasksConsumer("role-backend"));
    }
}
