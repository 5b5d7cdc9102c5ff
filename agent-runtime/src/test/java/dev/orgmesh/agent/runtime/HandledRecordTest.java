package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The company's handled record (KV {@code OM_{CO}_HANDLED}) on a real hub with agents on leaves: a task completed by
 * one agent whose ack never reached the server is redelivered to a peer and acked there as a duplicate without reaching
 * the peer's brain; and when the record cannot be reached (the hub is away, the bucket is missing) messages are still
 * handled, each once by the brain, with the runtime's own memory.
 */
@NatsTest
class HandledRecordTest {
    static final String QUEUE_ROLE = "role-backend";

    /** Brain calls per message id. */
    static final class Calls {
        final Map<String, AtomicInteger> byId = new ConcurrentHashMap<>();

        void add(String id) {
            byId.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        }

        int of(String id) {
            AtomicInteger n = byId.get(id);
            return n == null ? 0 : n.get();
        }
    }

    /** Duplicates a runtime reported: message id → who handled it before. */
    static final class Duplicates implements RuntimeListener {
        final Map<String, String> by = new ConcurrentHashMap<>();
        final Set<String> recorded = ConcurrentHashMap.newKeySet();

        @Override
        public void onDuplicate(Envelope in, String source, String handledBy) {
            by.put(in.id(), handledBy);
        }

        @Override
        public void onRecorded(Envelope in, String source) {
            recorded.add(in.id());
        }
    }

    @Test
    void aTaskWhoseAckWasLostIsNotHandedToAPeersBrain(@Leaves(2) HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            String task = "task-" + Ids.next();
            Calls dev1Brain = new Calls();
            Calls dev2Brain = new Calls();
            // dev1 completes the task (its report is stored, the task is recorded as handled), then dies before its
            // ack leaves: what a lost ack looks like to the server
            CountDownLatch recorded = new CountDownLatch(1);
            CountDownLatch dead = new CountDownLatch(1);
            RuntimeListener dev1Listener = new RuntimeListener() {
                @Override
                public void onRecorded(Envelope in, String source) {
                    if (in.id().equals(task)) {
                        recorded.countDown();
                        try {
                            dead.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt(); // the kill interrupts its workers
                        }
                    }
                }
            };
            Handler reportDone = (in, ctx) -> {
                dev1Brain.add(in.id());
                return Outcome.reply(in.report("dev1", "complete", "done: " + in.subject()).build());
            };
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1", reportDone, dev1Listener, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(dev1.runtime()::isReady);
            f.publish(f.subjects.tasks(QUEUE_ROLE),
                    Fixture.envelope("cto", "role:" + QUEUE_ROLE, "task").id(task).subject("migrate").build());
            assertThat(recorded.await(15, TimeUnit.SECONDS)).as("dev1 completed and recorded the task").isTrue();

            // the peer starts only now, so dev1 was the one that took the task
            MeterRegistry dev2Meters = new SimpleMeterRegistry();
            Duplicates dev2Seen = new Duplicates();
            Handler dev2Handler = (in, ctx) -> {
                dev2Brain.add(in.id());
                return Outcome.nothing();
            };
            Fixture.Running dev2 = f.runtime(topology.leaf(1), "dev2", dev2Handler, dev2Seen, Fixture.options(),
                    dev2Meters);
            await().atMost(Duration.ofSeconds(10)).until(dev2.runtime()::isReady);
            dev1.kill();
            dead.countDown();

            // after ack_wait the queue hands the task to dev2, whose guards find dev1's record
            await().atMost(Duration.ofSeconds(20)).until(() -> dev2Seen.by.containsKey(task) || dev2Brain.of(task) > 0);
            assertThat(dev2Brain.of(task)).as("the peer's brain never had the task").isZero();
            assertThat(dev2Seen.by).containsEntry(task, "dev1");
            assertThat(dev1Brain.of(task)).isEqualTo(1);
            assertThat(counter(dev2Meters, "orgmesh.agent.duplicates", "seen", "shared", "source", "tasks"))
                    .as("counted as a duplicate seen in the handled record").isEqualTo(1.0);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.tasksStream()).getStreamState().getMsgCount())
                    .as("the peer's ack emptied the queue").isZero());
            assertThat(f.inbox("cto").ofType("report")).as("one report for the task, dev1's")
                    .filteredOn(e -> task.equals(e.re())).singleElement()
                    .satisfies(e -> assertThat(e.from()).isEqualTo("dev1"));
            KeyValueEntry entry = handledBucket(f).get(
                    Subjects.handledKey(Subjects.handledRoleScope(QUEUE_ROLE), task));
            assertThat(entry).as("the record, in the role's scope").isNotNull();
            assertThat(Json.mapper().readTree(entry.getValue()).path("by").asText()).isEqualTo("dev1");

            // and the peer's brain does get work nobody did before
            String next = "task-" + Ids.next();
            f.publish(f.subjects.tasks(QUEUE_ROLE),
                    Fixture.envelope("cto", "role:" + QUEUE_ROLE, "task").id(next).subject("next").build());
            await().atMost(Duration.ofSeconds(10)).until(() -> dev2Seen.recorded.contains(next));
            assertThat(dev2Brain.of(next)).isEqualTo(1);
            assertThat(dev2Seen.by).doesNotContainKey(next);
        }
    }

    /**
     * What a whole-hub outage longer than {@code ack_wait} does to a shared queue: the agent that took a task cannot
     * keep it in progress, so the restarted hub redelivers it to a peer while the first agent is still storing its
     * outputs. The peer gives an unrecorded first redelivery back once; the first agent records and acks it meanwhile,
     * and the peer's brain never sees it. A task whose first agent really died comes back once more and is handled.
     */
    @Test
    void aTaskRedeliveredWhileItsFirstAgentIsStillFinishingItIsNotHandedToAPeer(@Leaves(1) HubTopology topology)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            String finishing = "task-" + Ids.next();
            String abandoned = "task-" + Ids.next();
            for (String id : List.of(finishing, abandoned)) {
                f.publish(f.subjects.tasks(QUEUE_ROLE),
                        Fixture.envelope("cto", "role:" + QUEUE_ROLE, "task").id(id).subject(id).build());
            }
            // "agent A": takes both tasks from the shared durable and sends no in-progress ack (the hub is away)
            io.nats.client.JetStreamSubscription a = f.bind(f.subjects.tasksStream(),
                    Subjects.tasksConsumer(QUEUE_ROLE));
            List<io.nats.client.Message> held = a.fetch(2, Duration.ofSeconds(5));
            assertThat(held).hasSize(2);

            Calls peerBrain = new Calls();
            Duplicates peerSeen = new Duplicates();
            Fixture.Running dev2 = f.runtime(topology.leaf(0), "dev2", (in, ctx) -> {
                peerBrain.add(in.id());
                return Outcome.nothing();
            }, peerSeen, Fixture.options());
            await().atMost(Duration.ofSeconds(10)).until(dev2.runtime()::isReady);

            // after ack_wait both come back to dev2 as delivery 2; meanwhile A finishes the first: record, then ack
            await().atMost(Duration.ofSeconds(15)).until(() -> f.jsm.getConsumerInfo(f.subjects.tasksStream(),
                    Subjects.tasksConsumer(QUEUE_ROLE)).getRedelivered() >= 2);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(() -> peerBrain.of(finishing) == 0); // given back once, not handed to the brain
            handledBucket(f).create(Subjects.handledKey(Subjects.handledRoleScope(QUEUE_ROLE), finishing),
                    "{\"by\":\"agent-a\",\"at\":\"now\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            io.nats.client.Message first = held.stream().filter(m -> new String(m.getData(),
                    java.nio.charset.StandardCharsets.UTF_8).contains(finishing)).findFirst().orElseThrow();
            first.ackSync(Duration.ofSeconds(5));

            // the abandoned one comes back once more and is handled by dev2; the finished one never reaches it
            await().atMost(Duration.ofSeconds(20)).until(() -> peerSeen.recorded.contains(abandoned));
            assertThat(peerBrain.of(abandoned)).isEqualTo(1);
            assertThat(peerBrain.of(finishing)).as("the peer's brain never had the task A finished").isZero();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.tasksStream()).getStreamState().getMsgCount())
                    .as("both tasks acked").isZero());
        }
    }

    @Test
    void whileTheHubIsAwayMessagesAreStillHandledOnceWithTheRuntimesOwnMemory(@Leaves(1) HubTopology topology)
            throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.File)) {
            String first = "task-" + Ids.next();
            Calls brain = new Calls();
            CountDownLatch working = new CountDownLatch(1);
            CountDownLatch hubGone = new CountDownLatch(1);
            Handler h = (in, ctx) -> {
                brain.add(in.id());
                if (in.id().equals(first)) {
                    working.countDown();
                    hubGone.await();
                }
                return Outcome.nothing();
            };
            MeterRegistry meters = new SimpleMeterRegistry();
            Duplicates seen = new Duplicates();
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1", h, seen, Fixture.options(), meters);
            await().atMost(Duration.ofSeconds(10)).until(dev1.runtime()::isReady);
            f.publish(f.subjects.tasks(QUEUE_ROLE),
                    Fixture.envelope("cto", "role:" + QUEUE_ROLE, "task").id(first).subject("first").build());
            assertThat(working.await(15, TimeUnit.SECONDS)).isTrue();

            // the hub goes away while the brain works: the task cannot be recorded, and its ack is lost
            topology.hub().stop();
            hubGone.countDown();
            await().atMost(Duration.ofSeconds(15)).until(
                    () -> counter(meters, "orgmesh.agent.handled.record.unavailable", "op", "record") >= 1);
            assertThat(seen.recorded).doesNotContain(first);

            topology.hub().restart();
            topology.awaitLeavesConnected(Duration.ofSeconds(15));
            // the task comes back; the runtime's own memory absorbs it, the brain does not see it again
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.by.containsKey(first) || brain.of(first) > 1);
            assertThat(brain.of(first)).as("the brain had the task once").isEqualTo(1);
            assertThat(seen.by).containsEntry(first, "dev1");
            assertThat(counter(meters, "orgmesh.agent.duplicates", "seen", "local", "source", "tasks"))
                    .isGreaterThanOrEqualTo(1.0);

            // new work is handled at once all along, and recorded again once the bucket answers (it is asked again
            // at most every RETRY_AFTER): a task a second until one is recorded
            List<String> more = new CopyOnWriteArrayList<>();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> {
                        if (more.stream().anyMatch(seen.recorded::contains)) {
                            return true;
                        }
                        String id = "task-" + Ids.next();
                        f.publish(f.subjects.tasks(QUEUE_ROLE), Fixture.envelope("cto", "role:" + QUEUE_ROLE, "task")
                                .id(id).subject("after").build());
                        more.add(id);
                        return false;
                    });
            await().atMost(Duration.ofSeconds(10)).until(() -> more.stream().allMatch(id -> brain.of(id) == 1));
            assertThat(more).allSatisfy(id -> assertThat(brain.of(id)).as(id).isEqualTo(1));
            KeyValue kv = handledBucket(f);
            assertThat(kv.get(Subjects.handledKey(Subjects.handledRoleScope(QUEUE_ROLE), first)))
                    .as("never recorded: the hub was away").isNull();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.tasksStream()).getStreamState().getMsgCount())
                    .as("every task acked").isZero());
        }
    }

    @Test
    void withoutTheBucketMessagesAreStillHandledEachOnce(@Leaves(1) HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            // a hub whose assets predate the handled record
            f.hubClient.keyValueManagement().delete(f.subjects.handledBucket());
            Calls brain = new Calls();
            MeterRegistry meters = new SimpleMeterRegistry();
            Duplicates seen = new Duplicates();
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1", (in, ctx) -> {
                brain.add(in.id());
                return Outcome.nothing();
            }, seen, Fixture.options(), meters);
            await().atMost(Duration.ofSeconds(10)).until(dev1.runtime()::isReady);
            List<String> ids = List.of("task-a-" + Ids.next(), "task-b-" + Ids.next(), "task-c-" + Ids.next());
            for (String id : ids) {
                f.publish(f.subjects.tasks(QUEUE_ROLE),
                        Fixture.envelope("cto", "role:" + QUEUE_ROLE, "task").id(id).subject(id).build());
            }
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.tasksStream()).getStreamState().getMsgCount()).isZero());
            assertThat(ids).allSatisfy(id -> assertThat(brain.of(id)).as(id).isEqualTo(1));
            assertThat(seen.recorded).isEmpty();
            assertThat(counter(meters, "orgmesh.agent.handled.record.unavailable", "op", "record"))
                    .as("every message went on without the record, and it was counted")
                    .isGreaterThanOrEqualTo(ids.size());
            assertThat(counter(meters, "orgmesh.agent.handled.record.unavailable", "op", "lookup"))
                    .as("first deliveries do not ask the record: nobody can have handled them before")
                    .isZero();
        }
    }

    static KeyValue handledBucket(Fixture f) throws Exception {
        return f.hubClient.keyValue(f.subjects.handledBucket());
    }

    /** The count of counter {@code name} with {@code tags} (name/value pairs); 0 when it was never incremented. */
    static double counter(MeterRegistry registry, String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }
}
