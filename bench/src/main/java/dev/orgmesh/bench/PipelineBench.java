package dev.orgmesh.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
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
import dev.orgmesh.testkit.ClusteredHubTopology;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.NatsServer;

/**
 * Issue 4's two measurements, through a real hub and two leaves (JetStream domain {@code hub}):
 * <ul>
 * <li>pipeline throughput: a backlog of DMs handled by a runtime with a trivial handler that answers each one
 * (decode, guards, handler, JetStream publish of the answer, ack) versus raw jnats doing the same consume +
 * publish + ack on the same kind of consumer;</li>
 * <li>DM latency leaf → hub → leaf: a runtime on leaf 0 sends a DM to a runtime on leaf 1, timed to the handler's
 * call, versus raw jnats request/reply between the same leaves (round trip) and a raw JetStream publish on leaf 0
 * fetched by a pull consumer on leaf 1 (one way).</li>
 * </ul>
 */
final class PipelineBench {
    private PipelineBench() {
    }

    static final String ORG = """
            company: pbench
            teams: { t: {} }
            humans: [ { id: board } ]
            agents:
              - { id: sender, role: role-a, team: t, reports_to: board }
              - { id: worker, role: role-b, team: t, reports_to: board }
              - { id: worker-2, role: role-d, team: t, reports_to: board }
              - { id: raw, role: role-c, team: t, reports_to: board }
              - { id: rawlane, role: role-e, team: t, reports_to: board }
            """;

    static String run(int messages, int pings, List<Figure> figures) throws Exception {
        Org org = OrgLoader.parse(ORG, "bench");
        Subjects s = org.subjects();
        try (HubTopology topo = HubTopology.start(2)) {
            AssetLimits limits = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
                    Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024,
                    Duration.ofSeconds(30), 5, 1024);
            try (Connection hub = Nats.connect(topo.hub().clientUrl())) {
                AssetApplier applier = new AssetApplier(hub.jetStreamManagement(), hub.keyValueManagement(),
                        s.assetPrefix());
                OrgAssets assets = OrgAssets.of(org, limits);
                applier.apply(assets, applier.plan(assets), false);

                StringBuilder md = new StringBuilder();
                if (messages > 0) { // -Dbench.messages=0: latency only
                    Throughput t = throughput(topo, org, hub.jetStream(), messages);
                    BenchOutput.progress(String.format(Locale.ROOT,
                            "pipeline: %.0f msg/s, raw %.0f msg/s: %.2f× (rounds %s)", t.ours(), t.raw(),
                            t.ours() / t.raw(), t.rounds()));
                    figures.add(new Figure("pipeline", "DMs/s, 1 agent", "msg/s", t.ours(), t.raw(), true, 0.5));
                    md.append(throughputReport(messages, t));
                }
                if (pings == 0) { // -Dbench.pings=0: throughput only
                    return md.toString();
                }

                BenchOutput.progress("pipeline: DM latency, " + pings + " one at a time");
                Latencies l = latencies(topo.leaves(), org, pings);
                figures.add(new Figure("pipeline", "DM p50 vs JetStream", "ms", ms(l.ours(), 50),
                        ms(l.rawOneWay(), 50), false, null));
                figures.add(new Figure("pipeline", "DM p99 vs JetStream", "ms", ms(l.ours(), 99),
                        ms(l.rawOneWay(), 99), false, null));
                figures.add(new Figure("pipeline", "DM p99 vs JetStream to a core subscriber", "ms",
                        ms(l.ours(), 99), ms(l.rawCoreCopy(), 99), false, null));
                figures.add(new Figure("pipeline", "DM p99 vs the fast lane by hand", "ms", ms(l.ours(), 99),
                        ms(l.rawFastLane(), 99), false, null));
                figures.add(new Figure("pipeline", "DM p50 vs request/reply", "ms", ms(l.ours(), 50),
                        ms(l.rawRtt(), 50), false, 1.5));
                figures.add(new Figure("pipeline", "DM p99 vs request/reply", "ms", ms(l.ours(), 99),
                        ms(l.rawRtt(), 99), false, 1.5));
                md.append(String.format(Locale.ROOT,
                        "### DM latency leaf → hub → leaf, %,d messages each, one at a time, in %d alternating"
                                + " rounds%n%n",
                        pings, ROUNDS));
                latencyTable(md, l);
                return md + clustered(org, pings, figures);
            }
        }
    }

    /**
     * DM latency where JetStream costs what it does in production: a 3-node hub, file storage, replicas 3 — the
     * audit stores and replicates a DM, then the inbox sources and replicates it again before its consumer delivers.
     * The fast lane (ADR 0006) does not wait for either.
     */
    static String clustered(Org org, int pings, List<Figure> figures) throws Exception {
        Subjects s = org.subjects();
        BenchOutput.progress("pipeline: DM latency on a 3-node hub, R3 file streams");
        try (ClusteredHubTopology topo = ClusteredHubTopology.start(3, 2)) {
            AssetLimits limits = new AssetLimits(3, StorageType.File, Duration.ofHours(1), Duration.ofHours(1),
                    Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024,
                    Duration.ofSeconds(30), 5, 1024);
            try (Connection hub = Nats.connect(topo.hubClientUrls())) {
                AssetApplier applier = new AssetApplier(hub.jetStreamManagement(), hub.keyValueManagement(),
                        s.assetPrefix());
                OrgAssets assets = OrgAssets.of(org, limits);
                applier.apply(assets, applier.plan(assets), false);
            }
            Latencies l = latencies(topo.leaves(), org, pings);
            figures.add(new Figure("pipeline", "DM p99 vs JetStream to a core subscriber, R3 hub", "ms",
                    ms(l.ours(), 99), ms(l.rawCoreCopy(), 99), false, null));
            figures.add(new Figure("pipeline", "DM p99 vs the fast lane by hand, R3 hub", "ms", ms(l.ours(), 99),
                    ms(l.rawFastLane(), 99), false, null));
            figures.add(new Figure("pipeline", "DM p50 vs request/reply, R3 hub", "ms", ms(l.ours(), 50),
                    ms(l.rawRtt(), 50),
                    false, 1.5));
            figures.add(new Figure("pipeline", "DM p99 vs request/reply, R3 hub", "ms", ms(l.ours(), 99),
                    ms(l.rawRtt(), 99),
                    false, 1.5));
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT,
                    "### DM latency on a 3-node hub (file storage, replicas 3), %,d messages one at a time%n%n",
                    pings));
            latencyTable(sb, l);
            return sb.toString();
        }
    }

    static void fill(JetStream js, String subject, int n, String from, String to) throws Exception {
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Envelope e = Envelope.builder().from(from).to(to).type("question").subject("q" + i).build()
                    .withIdIfAbsent();
            acks.add(js.publishAsync(subject, EnvelopeCodec.encode(e),
                    PublishOptions.builder().messageId(e.id()).build()));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    static NatsSettings leafSettings(HubTopology topo, int leaf, String name) {
        return leafSettings(topo.leaves(), leaf, name);
    }

    static NatsSettings leafSettings(List<NatsServer> leaves, int leaf, String name) {
        return NatsSettings.of(leaves.get(leaf).clientUrl()).withDomain(HubTopology.JS_DOMAIN).withName(name);
    }

    /** Backlogs each side works before anything is timed: JIT-compiles both sides' paths. */
    static final int THROUGHPUT_WARMUP = 5_000;
    /** Timed backlogs per side, the two sides alternating (ours first, then raw first, …). */
    static final int THROUGHPUT_ROUNDS = 4;

    /**
     * Throughput per side: total messages over total time across {@link #THROUGHPUT_ROUNDS} alternating rounds, after
     * a warm-up backlog of {@link #THROUGHPUT_WARMUP} for each. Before, the two sides ran once each,
     * orgmesh first in a cold JVM: the JIT compiler threads took a third of the two cores during orgmesh's run and
     * raw jnats then ran on code already compiled.
     */
    record Throughput(double ours, double raw, List<String> rounds) {
    }

    static Throughput throughput(HubTopology topo, Org org, JetStream hubJs, int messages) throws Exception {
        Subjects s = org.subjects();
        BenchOutput.progress("pipeline: warm-up, " + THROUGHPUT_WARMUP + " DMs each");
        fill(hubJs, s.dm("worker", "board"), THROUGHPUT_WARMUP, "board", "worker");
        oursThroughput(topo, org, THROUGHPUT_WARMUP);
        fill(hubJs, s.dm("raw", "board"), THROUGHPUT_WARMUP, "board", "raw");
        rawThroughput(topo, s, THROUGHPUT_WARMUP);
        double oursSeconds = 0;
        double rawSeconds = 0;
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < THROUGHPUT_ROUNDS; round++) {
            BenchOutput.progress("pipeline: throughput round " + (round + 1) + " of " + THROUGHPUT_ROUNDS + ", "
                    + messages + " DMs backlog each");
            double o = 0;
            double r = 0;
            for (int side = 0; side < 2; side++) {
                if ((side + round) % 2 == 0) {
                    fill(hubJs, s.dm("worker", "board"), messages, "board", "worker");
                    o = oursThroughput(topo, org, messages);
                } else {
                    fill(hubJs, s.dm("raw", "board"), messages, "board", "raw");
                    r = rawThroughput(topo, s, messages);
                }
            }
            oursSeconds += messages / o;
            rawSeconds += messages / r;
            rounds.add(String.format(Locale.ROOT, "%.2f×", o / r));
        }
        int total = messages * THROUGHPUT_ROUNDS;
        return new Throughput(total / oursSeconds, total / rawSeconds, rounds);
    }

    /**
     * A runtime on leaf 1 (16 handlers at a time) works a backlog of {@code n} DMs in its inbox, answering each: timed
     * from the first handler call to the last message's ack (its answer stored, its handled record written).
     */
    static double oursThroughput(HubTopology topo, Org org, int n) throws Exception {
        CountDownLatch done = new CountDownLatch(n);
        AtomicLong first = new AtomicLong();
        Handler answer = Handler.nonBlocking((in, ctx) -> {
            first.compareAndSet(0, System.nanoTime());
            return Outcome.reply(in.reply("worker", "answer").subject("a").build());
        });
        RuntimeListener acked = new RuntimeListener() {
            @Override
            public void onCompleted(Envelope in, String source) {
                done.countDown();
            }
        };
        NatsSettings settings = leafSettings(topo, 1, "bench-worker");
        try (Connection c = NatsConnector.connect(settings)) {
            AgentRuntime r = new AgentRuntime(c, settings, AgentSoul.of(org, "worker", Optional.empty()), answer,
                    RuntimeOptions.defaults().withConcurrency(16)
                            .withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(), Integer.MAX_VALUE),
                    new SimpleMeterRegistry(), acked).start();
            try {
                if (!done.await(300, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("pipeline completed only " + (n - done.getCount()) + " of " + n);
                }
                return n / ((System.nanoTime() - first.get()) / 1e9);
            } finally {
                r.close(Duration.ofSeconds(10));
            }
        }
    }

    /**
     * Raw jnats on leaf 1 works a backlog of {@code n} DMs on the same kind of durable: fetch 64, decode, publishAsync
     * the answers, wait for their acks, ackSync each. Timed from the first fetch to the last ack.
     */
    static double rawThroughput(HubTopology topo, Subjects s, int n) throws Exception {
        NatsSettings settings = leafSettings(topo, 1, "bench-raw");
        try (Connection c = Nats.connect(settings.url())) {
            JetStream js = c.jetStream(NatsConnector.jetStreamOptions(settings));
            JetStreamSubscription sub = js.subscribe(s.inbox("raw"), PullSubscribeOptions.builder()
                    .stream(s.inboxStream()).durable("dm-raw").build());
            long t0 = System.nanoTime();
            int handled = 0;
            while (handled < n) {
                List<Message> batch = sub.fetch(64, Duration.ofSeconds(2));
                List<CompletableFuture<PublishAck>> acks = new ArrayList<>(batch.size());
                for (Message m : batch) {
                    Envelope in = EnvelopeCodec.decode(m.getData());
                    Envelope out = in.reply("raw", "answer").subject("a").build();
                    acks.add(js.publishAsync(s.dm("board", "raw"), EnvelopeCodec.encode(out),
                            PublishOptions.builder().messageId(out.id()).build()));
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                for (Message m : batch) {
                    m.ackSync(Duration.ofSeconds(5));
                }
                handled += batch.size();
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * Warm-up operations per probe in one block; blocks repeat until the JIT has settled (see {@link Interleaved}).
     */
    static final int WARMUP = Integer.getInteger("bench.warmup", 1_000);
    /** Rounds the timed operations are spread over, the probes alternating (see {@link Interleaved}). */
    static final int ROUNDS = 10;

    /**
     * DM latency, leaf 0 → hub → leaf 1, every way measured in the same alternating rounds ({@link Interleaved}):
     * orgmesh with the fast lane (ADR 0006) and without it, each DM sent once the previous one is settled (one in the
     * system at a time, like the raw baselines); orgmesh with the fast lane sending the next DM as soon as the
     * handler is called (the previous one's inbox copy, ack and handled record still in progress); a raw JetStream
     * publish seen by a core subscriber (the quickest a stored message reaches anyone), and fetched by a pull
     * consumer; raw core request/reply.
     */
    static Latencies latencies(List<NatsServer> leaves, Org org, int pings) throws Exception {
        Subjects s = org.subjects();
        try (OursDm ours = new OursDm(leaves, org);
                RawOneWay oneWay = new RawOneWay(leaves, s);
                RawFastLane byHand = new RawFastLane(leaves, s, "rawlane");
                RawRequestReply rtt = new RawRequestReply(leaves)) {
            Interleaved.Result h = Interleaved.measure(List.of(() -> ours.once("worker", true),
                    () -> ours.once("worker-2", true), () -> ours.once("worker", false), oneWay::onceCore,
                    byHand::once, oneWay::once, rtt::once), WARMUP, pings, ROUNDS);
            BenchOutput.progress(ours.fastLaneCounts() + "; " + byHand.counts() + "; " + h.warmup());
            return new Latencies(h.get(0), h.get(1), h.get(2), h.get(3), h.get(4), h.get(5), h.get(6), h.warmup());
        }
    }

    /** The DM latency histograms, in microseconds, and how the warm-up went. */
    record Latencies(Histogram ours, Histogram inboxOnly, Histogram backToBack, Histogram rawCoreCopy,
            Histogram rawFastLane, Histogram rawOneWay, Histogram rawRtt, String warmup) {
    }

    /**
     * A sender runtime on leaf 0 and two receiving runtimes on leaf 1: {@code worker} with the fast lane, {@code
     * worker-2} without it (from its inbox only). Timed from {@code send} to the receiver's handler call.
     */
    static final class OursDm implements AutoCloseable {
        private final Map<String, CompletableFuture<Long>> arrived = new ConcurrentHashMap<>();
        private final Map<String, CompletableFuture<Void>> completed = new ConcurrentHashMap<>();
        private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        private final List<AutoCloseable> open = new ArrayList<>();
        private final AgentRuntime sender;

        OursDm(List<NatsServer> leaves, Org org) throws Exception {
            Handler onArrival = Handler.nonBlocking((in, ctx) -> {
                CompletableFuture<Long> f = arrived.remove(in.id());
                if (f != null) {
                    f.complete(System.nanoTime());
                }
                return Outcome.nothing();
            });
            RuntimeListener onCompleted = new RuntimeListener() {
                @Override
                public void onCompleted(Envelope in, String source) {
                    CompletableFuture<Void> f = completed.remove(in.id());
                    if (f != null) {
                        f.complete(null);
                    }
                }
            };
            RuntimeOptions options = RuntimeOptions.defaults()
                    .withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(), Integer.MAX_VALUE);
            receiver(leaves, org, "worker", onArrival, options.withFastLane(true), onCompleted, meters);
            receiver(leaves, org, "worker-2", onArrival, options.withFastLane(false), onCompleted,
                    new SimpleMeterRegistry());
            NatsSettings ss = leafSettings(leaves, 0, "bench-sender");
            Connection sc = NatsConnector.connect(ss);
            open.add(sc);
            sender = new AgentRuntime(sc, ss, AgentSoul.of(org, "sender", Optional.empty()), Handler.NOTHING, options,
                    new SimpleMeterRegistry(), null).start();
            open.add(() -> sender.close(Duration.ofSeconds(5)));
        }

        private void receiver(List<NatsServer> leaves, Org org, String agent, Handler handler, RuntimeOptions options,
                RuntimeListener listener, SimpleMeterRegistry registry) throws Exception {
            NatsSettings ws = leafSettings(leaves, 1, "bench-" + agent);
            Connection wc = NatsConnector.connect(ws);
            open.add(wc);
            AgentRuntime r = new AgentRuntime(wc, ws, AgentSoul.of(org, agent, Optional.empty()), handler, options,
                    registry, listener).start();
            open.add(() -> r.close(Duration.ofSeconds(5)));
        }

        /**
         * One DM to {@code to}; {@code settled}: returns once the receiver has also recorded and acked it, so the
         * next one finds nothing in progress.
         */
        long once(String to, boolean settled) throws Exception {
            Envelope e = Envelope.builder().from("sender").to(to).type("question").subject("ping").build()
                    .withIdIfAbsent();
            CompletableFuture<Long> arrival = new CompletableFuture<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            arrived.put(e.id(), arrival);
            completed.put(e.id(), done);
            long t0 = System.nanoTime();
            sender.send(e).get(10, TimeUnit.SECONDS);
            long at = arrival.get(10, TimeUnit.SECONDS);
            if (settled) {
                done.get(10, TimeUnit.SECONDS);
            }
            return (at - t0) / 1000;
        }

        String fastLaneCounts() {
            return String.format(Locale.ROOT, "fast lane: %s worked, %s dropped, %s left", fastLane(meters, "worked"),
                    fastLane(meters, "dropped"), fastLane(meters, "left"));
        }

        @Override
        public void close() throws Exception {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }

    private static long fastLane(SimpleMeterRegistry meters, String result) {
        Counter c = meters.find("orgmesh.agent.fast.lane").tag("result", result)
                .counter();
        return c == null ? 0 : (long) c.count();
    }

    /** A raw JetStream publish on leaf 0 fetched by a pull consumer on leaf 1 (one way), then acked. */
    static final class RawOneWay implements AutoCloseable {
        private final Connection ca;
        private final Connection cb;
        private final JetStream jsa;
        private final JetStreamSubscription sub;
        private final String subject;
        private final byte[] body;
        private final LinkedBlockingQueue<Long> coreCopies = new LinkedBlockingQueue<>();
        private Dispatcher core;
        private int n;

        RawOneWay(List<NatsServer> leaves, Subjects s) throws Exception {
            NatsSettings a = leafSettings(leaves, 0, "raw-a");
            NatsSettings b = leafSettings(leaves, 1, "raw-b");
            ca = Nats.connect(a.url()); // raw jnats: its default options
            cb = Nats.connect(b.url());
            jsa = ca.jetStream(NatsConnector.jetStreamOptions(a));
            subject = s.dm("raw", "sender");
            try { // the throughput run's durable, when it ran (a work queue allows one per subject)
                sub = cb.jetStream(NatsConnector.jetStreamOptions(b)).subscribe(s.inbox("raw"),
                        PullSubscribeOptions.builder().stream(s.inboxStream()).durable("dm-raw").build());
            } catch (Exception e) {
                close();
                throw e;
            }
            body = EnvelopeCodec.encode(Envelope.builder().from("sender").to("raw").type("question").subject("ping")
                    .build().withIdIfAbsent());
        }

        /**
         * The quickest a stored message can reach a subscriber: a JetStream publish on leaf 0 seen by a core
         * subscriber on leaf 1 as it crosses the hub (what the fast lane does, ADR 0006); then, like orgmesh's settled
         * DMs, its publish acknowledged and its stored copy fetched and acked.
         */
        long onceCore() throws Exception {
            if (core == null) {
                core = cb.createDispatcher(m -> coreCopies.add(System.nanoTime()));
                core.subscribe(subject);
                cb.flush(Duration.ofSeconds(5));
                Thread.sleep(500); // the interest crosses the hub
            }
            coreCopies.clear();
            long t0 = System.nanoTime();
            CompletableFuture<PublishAck> ack = jsa.publishAsync(subject, body,
                    PublishOptions.builder().messageId("raw-" + n++).build());
            Long t1 = coreCopies.poll(5, TimeUnit.SECONDS);
            ack.get(5, TimeUnit.SECONDS);
            for (Message m : sub.fetch(1, Duration.ofSeconds(5))) {
                m.ackSync(Duration.ofSeconds(5));
            }
            coreCopies.clear();
            return t1 == null ? -1 : (t1 - t0) / 1000;
        }

        /** A JetStream publish on leaf 0 fetched by a pull consumer on leaf 1. */
        long once() throws Exception {
            long t0 = System.nanoTime();
            jsa.publish(subject, body, PublishOptions.builder().messageId("raw-" + n++).build());
            List<Message> got = sub.fetch(1, Duration.ofSeconds(5));
            long t1 = System.nanoTime();
            for (Message m : got) {
                m.ackSync(Duration.ofSeconds(5));
            }
            return got.isEmpty() ? -1 : (t1 - t0) / 1000;
        }

        @Override
        public void close() throws Exception {
            ca.close();
            cb.close();
        }
    }

    /**
     * The fast lane's design by hand in raw jnats (ADR 0006): a JetStream publish on leaf 0 seen by a core subscriber on
     * leaf 1, with a pull pending on the inbox's durable (on its own thread, as the runtime's pull loop) that acks the
     * stored copy arriving right behind. Timed to the core copy; returns once the stored copy is acked, like orgmesh's
     * settled DMs. Against {@link RawOneWay#onceCore} (the stored copy fetched only afterwards) it shows what the
     * pending pull costs; against orgmesh, what the runtime's own code costs.
     */
    static final class RawFastLane implements AutoCloseable {
        private final Connection ca;
        private final Connection cb;
        private final JetStream jsa;
        private final String subject;
        private final byte[] body;
        private final LinkedBlockingQueue<Long> core = new LinkedBlockingQueue<>();
        private final LinkedBlockingQueue<Long> stored = new LinkedBlockingQueue<>();
        private final AtomicLong pullErrors = new AtomicLong();
        private final AtomicLong storedMissing = new AtomicLong();
        private Thread loop;
        private volatile boolean running = true;
        private int n;

        RawFastLane(List<NatsServer> leaves, Subjects s, String agent) throws Exception {
            NatsSettings a = leafSettings(leaves, 0, agent + "-a");
            NatsSettings b = leafSettings(leaves, 1, agent + "-b");
            ca = Nats.connect(a.url());
            cb = Nats.connect(b.url());
            jsa = ca.jetStream(NatsConnector.jetStreamOptions(a));
            subject = s.dm(agent, "sender");
            body = EnvelopeCodec.encode(Envelope.builder().from("sender").to(agent).type("question").subject("ping")
                    .build().withIdIfAbsent());
            try {
                cb.createDispatcher(m -> core.add(System.nanoTime())).subscribe(subject);
                JetStreamSubscription sub = cb.jetStream(NatsConnector.jetStreamOptions(b)).subscribe(s.inbox(agent),
                        PullSubscribeOptions.bind(s.inboxStream(), Subjects.inboxConsumer(agent)));
                loop = Thread.ofVirtual().name("raw-pull-" + agent).start(() -> pullLoop(sub));
                cb.flush(Duration.ofSeconds(5));
                Thread.sleep(500); // the interest crosses the hub
            } catch (Exception e) {
                close();
                throw e;
            }
        }

        /** The pending pull: acks each stored copy as it comes; a failed pull is counted and retried after a pause. */
        private void pullLoop(JetStreamSubscription sub) {
            while (running) {
                try {
                    Iterator<Message> it = sub.iterate(4, Duration.ofSeconds(5));
                    while (it.hasNext()) {
                        it.next().ackSync(Duration.ofSeconds(5));
                        stored.add(System.nanoTime());
                    }
                } catch (Exception e) {
                    if (!running) {
                        return;
                    }
                    pullErrors.incrementAndGet();
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        }

        /** Failed pulls and stored copies not acked within 5 s: both should be 0 for the figures to count. */
        String counts() {
            return "fast lane by hand: " + pullErrors.get() + " failed pulls, " + storedMissing.get()
                    + " stored copies not acked in time";
        }

        long once() throws Exception {
            core.clear();
            stored.clear();
            long t0 = System.nanoTime();
            CompletableFuture<PublishAck> ack = jsa.publishAsync(subject, body,
                    PublishOptions.builder().messageId(subject + "-" + n++).build());
            Long t1 = core.poll(5, TimeUnit.SECONDS);
            ack.get(5, TimeUnit.SECONDS);
            if (stored.poll(5, TimeUnit.SECONDS) == null) {
                storedMissing.incrementAndGet();
            }
            return t1 == null ? -1 : (t1 - t0) / 1000;
        }

        @Override
        public void close() throws Exception {
            running = false;
            if (loop != null) {
                loop.interrupt();
            }
            ca.close();
            cb.close();
            if (loop != null) {
                loop.join(Duration.ofSeconds(6));
            }
        }
    }

    /** Raw core request/reply, leaf 0 ↔ leaf 1 (round trip), the same bytes as a DM. */
    static final class RawRequestReply implements AutoCloseable {
        private final Connection ca;
        private final Connection cb;
        private final byte[] body;

        RawRequestReply(List<NatsServer> leaves) throws Exception {
            ca = Nats.connect(leaves.get(0).clientUrl());
            cb = Nats.connect(leaves.get(1).clientUrl());
            Dispatcher d = cb.createDispatcher(m -> cb.publish(m.getReplyTo(), m.getData()));
            d.subscribe("pbench.ask.raw");
            cb.flush(Duration.ofSeconds(5));
            body = EnvelopeCodec.encode(Envelope.builder().from("sender").to("raw").type("question").subject("ping")
                    .build().withIdIfAbsent());
            // the interest may take a moment to cross the hub
            for (int attempt = 0; attempt < 50; attempt++) {
                if (ca.request("pbench.ask.raw", body, Duration.ofSeconds(1)) != null) {
                    return;
                }
            }
            throw new IllegalStateException("no responder on pbench.ask.raw");
        }

        long once() throws Exception {
            long t0 = System.nanoTime();
            Message reply = ca.request("pbench.ask.raw", body, Duration.ofSeconds(5));
            return reply == null ? -1 : (System.nanoTime() - t0) / 1000;
        }

        @Override
        public void close() throws Exception {
            ca.close();
            cb.close();
        }
    }

    static String throughputReport(int n, Throughput t) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### Pipeline throughput, %,d DMs × %d alternating rounds per side after"
                + " %,d of warm-up, trivial answering handler%n%n", n, THROUGHPUT_ROUNDS, THROUGHPUT_WARMUP));
        sb.append("| run | messages/s |\n|---|---|\n");
        sb.append(String.format(Locale.ROOT, "| orgmesh runtime (decode, guards, handler, JetStream publish, handled"
                + " record, ackSync) | %,.0f |%n", t.ours()));
        sb.append(String.format(Locale.ROOT, "| raw jnats (fetch 64, publishAsync answers, ackSync) | %,.0f |%n",
                t.raw()));
        sb.append(String.format(Locale.ROOT, "%nRatio orgmesh / raw: %.2f× (target ≥ 0.5×); per round: %s.%n%n",
                t.ours() / t.raw(), String.join(", ", t.rounds())));
        return sb.toString();
    }

    /** The DM latency table and its ratios. */
    static void latencyTable(StringBuilder sb, Latencies l) {
        sb.append("| run | p50 ms | p99 ms |\n|---|---|---|\n");
        row(sb, "orgmesh DM: send on leaf 0 → handler called on leaf 1", l.ours());
        row(sb, "orgmesh DM with the fast lane off (from the inbox only)", l.inboxOnly());
        row(sb, "orgmesh DM, the next sent as soon as the handler is called (previous one still settling)",
                l.backToBack());
        row(sb, "raw jnats JetStream publish on leaf 0 → core subscriber on leaf 1 (then fetched and acked)",
                l.rawCoreCopy());
        row(sb, "raw jnats, the fast lane by hand: the same, with a pull pending on the inbox that acks the stored copy",
                l.rawFastLane());
        row(sb, "raw jnats JetStream publish on leaf 0 → pull fetch on leaf 1", l.rawOneWay());
        row(sb, "raw jnats request/reply leaf 0 ↔ leaf 1 (core NATS, round trip)", l.rawRtt());
        sb.append(String.format(Locale.ROOT,
                "%nRatio orgmesh / raw request-reply: p50 %.2f×, p99 %.2f× (target ≤ 1.5×); fast lane off: p50"
                        + " %.2f×, p99 %.2f×; back to back: p50 %.2f×, p99 %.2f×; orgmesh / raw JetStream one-way:"
                        + " p50 %.2f×, p99 %.2f×; orgmesh / raw JetStream to a core subscriber: p50 %.2f×, p99"
                        + " %.2f×; orgmesh / the fast lane by hand: p50 %.2f×, p99 %.2f×; raw JetStream to a core"
                        + " subscriber / raw request-reply: p50 %.2f×, p99 %.2f×.%n%nMeasured after a %s.%n%n",
                ratio(l.ours(), l.rawRtt(), 50), ratio(l.ours(), l.rawRtt(), 99), ratio(l.inboxOnly(), l.rawRtt(), 50),
                ratio(l.inboxOnly(), l.rawRtt(), 99), ratio(l.backToBack(), l.rawRtt(), 50),
                ratio(l.backToBack(), l.rawRtt(), 99), ratio(l.ours(), l.rawOneWay(), 50),
                ratio(l.ours(), l.rawOneWay(), 99), ratio(l.ours(), l.rawCoreCopy(), 50),
                ratio(l.ours(), l.rawCoreCopy(), 99), ratio(l.ours(), l.rawFastLane(), 50),
                ratio(l.ours(), l.rawFastLane(), 99), ratio(l.rawCoreCopy(), l.rawRtt(), 50),
                ratio(l.rawCoreCopy(), l.rawRtt(), 99), l.warmup()));
    }

    static void row(StringBuilder sb, String name, Histogram h) {
        sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f |%n", name, h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0));
    }

    static double ms(Histogram h, double p) {
        return h.getValueAtPercentile(p) / 1000.0;
    }

    static double ratio(Histogram a, Histogram b, double p) {
        return a.getValueAtPercentile(p) / (double) Math.max(1, b.getValueAtPercentile(p));
    }

}
