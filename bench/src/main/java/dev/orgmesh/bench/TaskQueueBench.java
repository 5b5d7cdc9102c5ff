package dev.orgmesh.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;

/**
 * Task queue throughput (docs/benchmarks.md, "Task queue throughput"): a backlog of tasks on
 * {@code {co}.tasks.role-worker}, taken by 1, 3 or 10 agents of that role sharing the role's durable, through a hub and
 * two leaves (agents alternate between the leaves, one connection each). orgmesh: {@link AgentRuntime}s with production
 * options (4 handlers at a time, 4 messages held) and a handler that does nothing, so each task costs decode, guards,
 * handler call and {@code ackSync}. Raw jnats: the same number of "agents", each one connection with 4 virtual threads,
 * each thread a pull subscription bound to the same kind of durable ({@code tasks-role-raw}, same configuration) doing
 * fetch 1 → decode → {@code ackSync} — 4 tasks in flight per agent, as in the runtime. Throughput is counted from the
 * first task handled to the last, so binding time is not in it.
 */
final class TaskQueueBench {
    private TaskQueueBench() {
    }

    private static final int PER_AGENT = 4;

    static final String ORG_HEAD = """
            company: tqbench
            teams: { t: {} }
            humans: [ { id: board } ]
            agents:
              - { id: raw-0, role: role-raw, team: t, reports_to: board }
            """;

    static Org org(int maxAgents) {
        StringBuilder sb = new StringBuilder(ORG_HEAD);
        for (int i = 0; i < maxAgents; i++) {
            sb.append("  - { id: w-").append(i).append(", role: role-worker, team: t, reports_to: board }\n");
        }
        return OrgLoader.parse(sb.toString(), "bench");
    }

    record Run(int agents, double ours, double raw) {
    }

    static String run(int tasks, List<Integer> agentCounts, List<Figure> figures) throws Exception {
        int max = agentCounts.stream().mapToInt(Integer::intValue).max().orElse(1);
        Org org = org(max);
        Subjects s = org.subjects();
        List<Run> runs = new ArrayList<>();
        try (HubTopology topo = HubTopology.start(2)) {
            AssetLimits limits = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
                    Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024,
                    Duration.ofSeconds(30), 5, 1024);
            try (Connection hub = Nats.connect(topo.hub().clientUrl())) {
                AssetApplier applier = new AssetApplier(hub.jetStreamManagement(), hub.keyValueManagement(),
                        s.assetPrefix());
                OrgAssets assets = OrgAssets.of(org, limits);
                applier.apply(assets, applier.plan(assets), false);
                // warm-up: both paths once, small, so the JIT has seen them
                fill(hub.jetStream(), s.tasks("role-worker", "board"), 2_000, "role-worker");
                ours(topo, org, 2_000, Math.min(3, max));
                fill(hub.jetStream(), s.tasks("role-raw", "board"), 2_000, "role-raw");
                raw(topo, s, 2_000, Math.min(3, max));
                for (int n : agentCounts) {
                    BenchOutput.progress("tasks: " + tasks + " tasks, " + n + " agents");
                    fill(hub.jetStream(), s.tasks("role-worker", "board"), tasks, "role-worker");
                    double ours = ours(topo, org, tasks, n);
                    fill(hub.jetStream(), s.tasks("role-raw", "board"), tasks, "role-raw");
                    double raw = raw(topo, s, tasks, n);
                    runs.add(new Run(n, ours, raw));
                    figures.add(new Figure("tasks", "tasks/s, " + n + (n == 1 ? " agent" : " agents"), "tasks/s",
                            ours, raw, true, null));
                }
            }
        }
        return report(tasks, runs);
    }

    static void fill(JetStream js, String subject, int n, String role) throws Exception {
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Envelope e = Envelope.builder().from("board").to("role:" + role).type("task").subject("t" + i).build()
                    .withIdIfAbsent();
            acks.add(js.publishAsync(subject, EnvelopeCodec.encode(e),
                    PublishOptions.builder().messageId(e.id()).build()));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                .get(120, TimeUnit.SECONDS);
    }

    /** First-to-last handling rate; {@code first} and {@code last} are nanoTime stamps. */
    static final class Clock {
        final AtomicLong first = new AtomicLong();
        final AtomicLong last = new AtomicLong();
        final CountDownLatch done;

        Clock(int n) {
            done = new CountDownLatch(n);
        }

        void tick() {
            long now = System.nanoTime();
            first.compareAndSet(0, now);
            last.accumulateAndGet(now, Math::max);
            done.countDown();
        }

        double rate(int n, String what) throws InterruptedException {
            if (!done.await(600, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " handled only " + (n - done.getCount()) + " of " + n);
            }
            return (n - 1) / ((last.get() - first.get()) / 1e9);
        }
    }

    static double ours(HubTopology topo, Org org, int n, int agents) throws Exception {
        Clock clock = new Clock(n);
        // counted once the server confirmed the ack, as on the raw side
        Handler work = (in, ctx) -> Outcome.nothing();
        RuntimeListener completed = new RuntimeListener() {
            @Override
            public void onCompleted(Envelope in, String source) {
                if ("tasks".equals(source)) {
                    clock.tick();
                }
            }
        };
        List<Connection> connections = new ArrayList<>();
        List<AgentRuntime> runtimes = new ArrayList<>();
        try {
            for (int i = 0; i < agents; i++) {
                NatsSettings settings = NatsSettings.of(topo.leaf(i % 2).clientUrl())
                        .withDomain(HubTopology.JS_DOMAIN).withName("w-" + i);
                Connection c = NatsConnector.connect(settings);
                connections.add(c);
                runtimes.add(new AgentRuntime(c, settings, AgentSoul.of(org, "w-" + i, Optional.empty()), work,
                        RuntimeOptions.defaults().withConcurrency(PER_AGENT), new SimpleMeterRegistry(), completed)
                        .start());
            }
            return clock.rate(n, "orgmesh task queue");
        } finally {
            runtimes.forEach(r -> r.close(Duration.ofSeconds(5)));
            for (Connection c : connections) {
                c.close();
            }
        }
    }

    static double raw(HubTopology topo, Subjects s, int n, int agents) throws Exception {
        Clock clock = new Clock(n);
        List<Connection> connections = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        try {
            for (int i = 0; i < agents; i++) {
                NatsSettings settings = NatsSettings.of(topo.leaf(i % 2).clientUrl())
                        .withDomain(HubTopology.JS_DOMAIN).withName("raw-" + i);
                Connection c = NatsConnector.connect(settings);
                connections.add(c);
                JetStream js = c.jetStream(NatsConnector.jetStreamOptions(settings));
                for (int t = 0; t < PER_AGENT; t++) {
                    JetStreamSubscription sub = js.subscribe(s.taskQueue("role-raw"),
                            PullSubscribeOptions.bind(s.tasksStream(), Subjects.tasksConsumer("role-raw")));
                    threads.add(Thread.ofVirtual().start(() -> {
                        while (running.get()) {
                            try {
                                for (Message m : sub.fetch(1, Duration.ofMillis(500))) {
                                    EnvelopeCodec.decode(m.getData());
                                    m.ackSync(Duration.ofSeconds(5));
                                    clock.tick();
                                }
                            } catch (Exception e) {
                                if (running.get()) {
                                    BenchOutput.progress("raw task worker: " + e);
                                }
                            }
                        }
                    }));
                }
            }
            return clock.rate(n, "raw task queue");
        } finally {
            running.set(false);
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(5));
            }
            for (Connection c : connections) {
                c.close();
            }
        }
    }

    static String report(int tasks, List<Run> runs) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "### Task queue throughput, %,d tasks per run, agents sharing one role queue%n%n", tasks));
        sb.append("| agents | orgmesh tasks/s | raw jnats tasks/s | ratio orgmesh / raw |\n|---|---|---|---|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.2f× |%n", r.agents(), r.ours(), r.raw(),
                    r.ours() / r.raw()));
        }
        sb.append('\n');
        return sb.toString();
    }
}
