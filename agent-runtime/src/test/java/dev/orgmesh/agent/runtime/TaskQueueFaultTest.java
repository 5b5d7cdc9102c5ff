package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * 1,000 tasks on one role queue shared by three agents on three leaves; one agent is killed halfway with tasks in
 * its hands. Every task is completed (handled, and the ack confirmed by the server) exactly once.
 */
@NatsTest
@Leaves(3)
class TaskQueueFaultTest {
    static final int TASKS = 1000;

    @Test
    void aKilledAgentsTasksAreRedeliveredAndEveryTaskIsCompletedOnce(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Map<String, AtomicInteger> completed = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> survivorsHandled = new ConcurrentHashMap<>();
            RuntimeListener countCompletions = new RuntimeListener() {
                @Override
                public void onCompleted(Envelope in, String source) {
                    completed.computeIfAbsent(in.id(), k -> new AtomicInteger()).incrementAndGet();
                }
            };
            Handler survivor = (in, ctx) -> {
                survivorsHandled.computeIfAbsent(in.id(), k -> new AtomicInteger()).incrementAndGet();
                return Outcome.nothing();
            };
            // the victim works normally for 100 tasks, then hangs on whatever it takes next, as a stuck process would
            CountDownLatch never = new CountDownLatch(1);
            AtomicInteger victimTook = new AtomicInteger();
            AtomicInteger victimStuck = new AtomicInteger();
            Handler victimHandler = (in, ctx) -> {
                if (victimTook.incrementAndGet() > 100) {
                    victimStuck.incrementAndGet();
                    never.await();
                }
                return Outcome.nothing();
            };

            Fixture.Running victim = f.runtime(topology.leaf(0), "dev1", victimHandler, countCompletions,
                    Fixture.options());
            f.runtime(topology.leaf(1), "dev2", survivor, countCompletions, Fixture.options());
            f.runtime(topology.leaf(2), "dev3", survivor, countCompletions, Fixture.options());

            List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                Envelope task = Fixture.envelope("cto", "role:role-backend", "task").id("task-" + i)
                        .subject("task " + i).build();
                acks.add(f.js.publishAsync(f.subjects.tasks("role-backend", "cto"), EnvelopeCodec.encode(task),
                        PublishOptions.builder().messageId(task.id()).build()));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();

            await().atMost(Duration.ofSeconds(30)).until(() -> completed.size() >= TASKS / 2 && victimStuck.get() > 0);
            int stuck = victimStuck.get();
            victim.kill();
            never.countDown();

            await().atMost(Duration.ofSeconds(45)).until(() -> completed.size() == TASKS);
            assertThat(completed.values()).as("no task completed twice").allSatisfy(n -> assertThat(n).hasValue(1));
            assertThat(survivorsHandled.values()).as("no task handed to the survivors' handlers twice")
                    .allSatisfy(n -> assertThat(n).hasValue(1));
            assertThat(stuck).as("the victim died holding tasks").isPositive();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.tasksStream()).getStreamState().getMsgCount())
                    .as("the queue is empty").isZero());
        }
    }
}
