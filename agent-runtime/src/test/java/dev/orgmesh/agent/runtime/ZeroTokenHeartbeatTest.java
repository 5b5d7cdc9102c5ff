package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The zero-token check: a tick wakes the brain only when there is work — waiting inbox messages, a due HEARTBEAT.md
 * item, or a forced tick — and is otherwise acknowledged without calling it, the skip recorded. Counts brain calls.
 */
@NatsTest
@Leaves(1)
class ZeroTokenHeartbeatTest {

    static Envelope tick(String id, boolean force) {
        Envelope.Builder b = Envelope.builder().id(id).from("heartbeat").to("dev1").type("heartbeat")
                .subject("Heartbeat").context("read HEARTBEAT.md and follow it").ts(Instant.now());
        if (force) {
            b.extra("force", JsonNodeFactory.instance.booleanNode(true));
        }
        return b.build();
    }

    @Test
    void ticksWakeTheBrainOnlyWhenThereIsWork(HubTopology topology, @TempDir Path dir) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            List<String> brainSaw = new CopyOnWriteArrayList<>();
            List<String> skipped = new CopyOnWriteArrayList<>();
            CountDownLatch release = new CountDownLatch(1);
            Handler brain = (in, ctx) -> {
                brainSaw.add(in.id());
                if ("busy-1".equals(in.id())) {
                    release.await(20, TimeUnit.SECONDS);
                }
                return Outcome.nothing();
            };
            RuntimeListener listener = new RuntimeListener() {
                @Override
                public void onHeartbeatSkipped(Envelope t) {
                    skipped.add(t.id());
                }
            };
            Path checklist = dir.resolve("HEARTBEAT.md");
            Files.writeString(checklist, "# Heartbeat\n\n## Checklist\n\n- [x] done already (due 2020-01-01)\n"
                    + "- [ ] later (due 2999-01-01 09:00)\n");
            Fixture.Running dev1 = f.runtime(topology.leaf(0), "dev1", brain, listener,
                    Fixture.options().withConcurrency(1));
            dev1.runtime().heartbeatChecklist(checklist);
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.runtime().isReady());

            // 1. nothing to do: acknowledged, brain not called
            f.publish(f.subjects.heartbeat("dev1"), tick("t-idle", false));
            await().atMost(Duration.ofSeconds(10)).until(() -> skipped.contains("t-idle"));
            // 2. forced: woken
            f.publish(f.subjects.heartbeat("dev1"), tick("t-forced", true));
            await().atMost(Duration.ofSeconds(10)).until(() -> brainSaw.contains("t-forced"));
            // 3. a due checklist item: woken
            Files.writeString(checklist, "- [ ] rotate the staging keys (due 2020-01-01 09:00)\n",
                    java.nio.file.StandardOpenOption.APPEND);
            f.publish(f.subjects.heartbeat("dev1"), tick("t-due", false));
            await().atMost(Duration.ofSeconds(10)).until(() -> brainSaw.contains("t-due"));
            Files.writeString(checklist, Files.readString(checklist).replace("- [ ] rotate", "- [x] rotate"));
            // 4. work waiting in the inbox (the brain is busy with another DM): woken
            f.publish(f.subjects.dm("dev1"), Fixture.envelope("cto", "dev1", "task").id("busy-1").build());
            await().atMost(Duration.ofSeconds(10)).until(() -> brainSaw.contains("busy-1"));
            f.publish(f.subjects.dm("dev1"), Fixture.envelope("cto", "dev1", "task").id("waiting-2").build());
            f.publish(f.subjects.heartbeat("dev1"), tick("t-work", false));
            await("the waiting DM is work: the tick is not skipped").during(Duration.ofSeconds(1))
                    .atMost(Duration.ofSeconds(3)).until(() -> !skipped.contains("t-work"));
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> brainSaw.containsAll(List.of("t-work", "waiting-2")));
            // 5. idle again: skipped
            f.publish(f.subjects.heartbeat("dev1"), tick("t-idle-2", false));
            await().atMost(Duration.ofSeconds(10)).until(() -> skipped.contains("t-idle-2"));

            assertThat(skipped).containsExactlyInAnyOrder("t-idle", "t-idle-2");
            assertThat(brainSaw).filteredOn(id -> id.startsWith("t-")).containsExactlyInAnyOrder("t-forced", "t-due",
                    "t-work");
        }
    }
}
