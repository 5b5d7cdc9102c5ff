package dev.orgmesh.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.HdrHistogram.Histogram;

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
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.assets.AssetApplier;
import dev.orgmesh.messaging.assets.AssetLimits;
import dev.orgmesh.messaging.assets.OrgAssets;
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
              - { id: raw, role: role-c, team: t, reports_to: board }
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

                BenchOutput.progress("pipeline: " + messages + " DMs backlog");
                fill(hub.jetStream(), s.dm("worker"), messages, "board", "worker");
                double ours = oursThroughput(topo, org, messages);
                fill(hub.jetStream(), s.dm("raw"), messages, "board", "raw");
                double raw = rawThroughput(topo, s, messages);

                BenchOutput.progress("pipeline: DM latency, " + pings + " one at a time");
                Histogram oursLatency = oursLatency(topo.leaves(), org, pings, true);
                Histogram inboxOnly = oursLatency(topo.leaves(), org, pings, false);
                Histogram rawOneWay = rawOneWay(topo.leaves(), s, pings);
                Histogram rawRtt = rawRequestReply(topo.leaves(), pings);
                figures.add(new Figure("pipeline", "DMs/s, 1 agent", "msg/s", ours, raw, true, 0.5));
                figures.add(new Figure("pipeline", "DM p50 vs JetStream", "ms", ms(oursLatency, 50), ms(rawOneWay, 50),
                        false, null));
                figures.add(new Figure("pipeline", "DM p99 vs JetStream", "ms", ms(oursLatency, 99), ms(rawOneWay, 99),
                        false, null));
                figures.add(new Figure("pipeline", "DM p50 vs request/reply", "ms", ms(oursLatency, 50),
                        ms(rawRtt, 50), false, 1.5));
                figures.add(new Figure("pipeline", "DM p99 vs request/reply", "ms", ms(oursLatency, 99),
                        ms(rawRtt, 99), false, 1.5));
                String single = report(messages, ours, raw, pings, oursLatency, inboxOnly, rawOneWay, rawRtt);
                return single + clustered(org, pings, figures);
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
            Histogram ours = oursLatency(topo.leaves(), org, pings, true);
            Histogram inboxOnly = oursLatency(topo.leaves(), org, pings, false);
            Histogram rawOneWay = rawOneWay(topo.leaves(), s, pings);
            Histogram rawRtt = rawRequestReply(topo.leaves(), pings);
            figures.add(new Figure("pipeline", "DM p50 vs request/reply, R3 hub", "ms", ms(ours, 50), ms(rawRtt, 50),
                    false, 1.5));
            figures.add(new Figure("pipeline", "DM p99 vs request/reply, R3 hub", "ms", ms(ours, 99), ms(rawRtt, 99),
                    false, 1.5));
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT,
                    "### DM latency on a 3-node hub (file storage, replicas 3), %,d messages one at a time%n%n",
                    pings));
            latencyTable(sb, ours, inboxOnly, rawOneWay, rawRtt);
            sb.append(String.format(Locale.ROOT,
                    "%nRatio orgmesh / raw request-reply: p50 %.2f×, p99 %.2f× (target ≤ 1.5×); fast lane off: p50"
                            + " %.2f×, p99 %.2f×; orgmesh / raw JetStream one-way: p50 %.2f×, p99 %.2f×.%n%n",
                    ratio(ours, rawRtt, 50), ratio(ours, rawRtt, 99), ratio(inboxOnly, rawRtt, 50),
                    ratio(inboxOnly, rawRtt, 99), ratio(ours, rawOneWay, 50), ratio(ours, rawOneWay, 99)));
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

    static double oursThroughput(HubTopology topo, Org org, int n) throws Exception {
        CountDownLatch done = new CountDownLatch(n);
        Handler answer = (in, ctx) -> {
            done.countDown();
            return Outcome.reply(in.reply("worker", "answer").subject("a").build());
        };
        NatsSettings settings = leafSettings(topo, 1, "bench-worker");
        try (Connection c = NatsConnector.connect(settings)) {
            long t0 = System.nanoTime();
            AgentRuntime r = new AgentRuntime(c, settings, AgentSoul.of(org, "worker", Optional.empty()), answer,
                    RuntimeOptions.defaults().withConcurrency(16)
                            .withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(), Integer.MAX_VALUE),
                    new SimpleMeterRegistry(), null).start();
            try {
                if (!done.await(300, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("pipeline handled only " + (n - done.getCount()) + " of " + n);
                }
                return n / ((System.nanoTime() - t0) / 1e9);
            } finally {
                r.close(Duration.ofSeconds(10));
            }
        }
    }

    static double rawThroughput(HubTopology topo, Subjects s, int n) throws Exception {
        NatsSettings settings = leafSettings(topo, 1, "bench-raw");
        try (Connection c = NatsConnector.connect(settings)) {
            JetStream js = c.jetStream(NatsConnector.jetStreamOptions(settings));
            JetStreamSubscription sub = js.subscribe(s.dm("raw"), PullSubscribeOptions.builder()
                    .stream(s.inboxStream()).durable("dm-raw").build());
            long t0 = System.nanoTime();
            int handled = 0;
            while (handled < n) {
                List<Message> batch = sub.fetch(64, Duration.ofSeconds(2));
                List<CompletableFuture<PublishAck>> acks = new ArrayList<>(batch.size());
                for (Message m : batch) {
                    Envelope in = EnvelopeCodec.decode(m.getData());
                    Envelope out = in.reply("raw", "answer").subject("a").build();
                    acks.add(js.publishAsync(s.dm("board"), EnvelopeCodec.encode(out),
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

    /** {@code fastLane}: the receiver works DMs from their core copy (ADR 0006); off, from the inbox only. */
    static Histogram oursLatency(List<NatsServer> topo, Org org, int pings, boolean fastLane) throws Exception {
        Histogram h = new Histogram(60_000_000L, 3);
        Map<String, Long> sent = new ConcurrentHashMap<>();
        AtomicInteger seen = new AtomicInteger();
        Object lock = new Object();
        Handler onArrival = (in, ctx) -> {
            Long t = sent.remove(in.id());
            if (t != null) {
                h.recordValue((System.nanoTime() - t) / 1000);
                synchronized (lock) {
                    seen.incrementAndGet();
                    lock.notifyAll();
                }
            }
            return Outcome.nothing();
        };
        NatsSettings ws = leafSettings(topo, 1, "bench-worker-2");
        NatsSettings ss = leafSettings(topo, 0, "bench-sender");
        try (Connection wc = NatsConnector.connect(ws); Connection sc = NatsConnector.connect(ss)) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            AgentRuntime worker = new AgentRuntime(wc, ws, AgentSoul.of(org, "worker", Optional.empty()), onArrival,
                    RuntimeOptions.defaults().withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(),
                            Integer.MAX_VALUE).withFastLane(fastLane),
                    meters, null).start();
            AgentRuntime sender = new AgentRuntime(sc, ss, AgentSoul.of(org, "sender", Optional.empty()),
                    Handler.NOTHING,
                    RuntimeOptions.defaults().withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(),
                            Integer.MAX_VALUE),
                    new SimpleMeterRegistry(), null).start();
            try {
                for (int i = 0; i < pings + 50; i++) {
                    Envelope e = Envelope.builder().from("sender").to("worker").type("question").subject("ping").build()
                            .withIdIfAbsent();
                    if (i >= 50) {
                        sent.put(e.id(), System.nanoTime());
                    }
                    int target = seen.get() + (i >= 50 ? 1 : 0);
                    sender.send(e).get(10, TimeUnit.SECONDS);
                    if (i >= 50) {
                        synchronized (lock) {
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                            while (seen.get() < target && System.nanoTime() < deadline) {
                                lock.wait(100);
                            }
                        }
                    }
                }
            } finally {
                sender.close(Duration.ofSeconds(5));
                worker.close(Duration.ofSeconds(5));
            }
            if (fastLane) {
                BenchOutput.progress(String.format(Locale.ROOT, "fast lane: %s worked, %s dropped, %s left",
                        fastLane(meters, "worked"), fastLane(meters, "dropped"), fastLane(meters, "left")));
            }
        }
        return h;
    }

    private static long fastLane(SimpleMeterRegistry meters, String result) {
        io.micrometer.core.instrument.Counter c = meters.find("orgmesh.agent.fast.lane").tag("result", result)
                .counter();
        return c == null ? 0 : (long) c.count();
    }

    static Histogram rawOneWay(List<NatsServer> topo, Subjects s, int pings) throws Exception {
        Histogram h = new Histogram(60_000_000L, 3);
        NatsSettings a = leafSettings(topo, 0, "raw-a");
        NatsSettings b = leafSettings(topo, 1, "raw-b");
        try (Connection ca = NatsConnector.connect(a); Connection cb = NatsConnector.connect(b)) {
            JetStream jsa = ca.jetStream(NatsConnector.jetStreamOptions(a));
            JetStreamSubscription sub = cb.jetStream(NatsConnector.jetStreamOptions(b)).subscribe(s.dm("raw"),
                    PullSubscribeOptions.builder().stream(s.inboxStream()).durable("dm-raw").build());
            byte[] body = EnvelopeCodec.encode(Envelope.builder().from("sender").to("raw").type("question")
                    .subject("ping").build().withIdIfAbsent());
            for (int i = 0; i < pings + 50; i++) {
                long t0 = System.nanoTime();
                jsa.publish(s.dm("raw"), body, PublishOptions.builder().messageId("raw-" + i).build());
                List<Message> got = sub.fetch(1, Duration.ofSeconds(5));
                long t1 = System.nanoTime();
                got.forEach(Message::ack);
                if (i >= 50 && !got.isEmpty()) {
                    h.recordValue((t1 - t0) / 1000);
                }
            }
        }
        return h;
    }

    static Histogram rawRequestReply(List<NatsServer> topo, int pings) throws Exception {
        Histogram h = new Histogram(60_000_000L, 3);
        try (Connection ca = Nats.connect(topo.get(0).clientUrl());
                Connection cb = Nats.connect(topo.get(1).clientUrl())) {
            Dispatcher d = cb.createDispatcher(m -> cb.publish(m.getReplyTo(), m.getData()));
            d.subscribe("pbench.ask.raw");
            cb.flush(Duration.ofSeconds(5));
            byte[] body = EnvelopeCodec.encode(Envelope.builder().from("sender").to("raw").type("question")
                    .subject("ping").build().withIdIfAbsent());
            for (int i = 0; i < pings + 50; i++) {
                long t0 = System.nanoTime();
                Message reply = null;
                for (int attempt = 0; attempt < 50 && reply == null; attempt++) {
                    reply = ca.request("pbench.ask.raw", body, Duration.ofSeconds(1));
                }
                if (i >= 50 && reply != null) {
                    h.recordValue((System.nanoTime() - t0) / 1000);
                }
            }
        }
        return h;
    }

    static String report(int n, double ours, double raw, int pings, Histogram oursLat, Histogram inboxOnly,
            Histogram rawOneWay, Histogram rawRtt) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### Pipeline throughput, %,d DMs, trivial answering handler%n%n", n));
        sb.append("| run | messages/s |\n|---|---|\n");
        sb.append(String.format(Locale.ROOT,
                "| orgmesh runtime (decode, guards, handler, JetStream publish, ackSync) | %,.0f |%n", ours));
        sb.append(String.format(Locale.ROOT, "| raw jnats (fetch 64, publishAsync answers, ackSync) | %,.0f |%n", raw));
        sb.append(String.format(Locale.ROOT, "%nRatio orgmesh / raw: %.2f× (target ≥ 0.5×).%n%n", ours / raw));
        sb.append(
                String.format(Locale.ROOT, "### DM latency leaf → hub → leaf, %,d messages one at a time%n%n", pings));
        latencyTable(sb, oursLat, inboxOnly, rawOneWay, rawRtt);
        sb.append(String.format(Locale.ROOT,
                "%nRatio orgmesh / raw request-reply: p50 %.2f×, p99 %.2f× (target ≤ 1.5×); "
                        + "orgmesh / raw JetStream one-way: p50 %.2f×, p99 %.2f×.%n%n",
                ratio(oursLat, rawRtt, 50), ratio(oursLat, rawRtt, 99), ratio(oursLat, rawOneWay, 50),
                ratio(oursLat, rawOneWay, 99)));
        return sb.toString();
    }

    /** The DM latency table: orgmesh with and without the fast lane, raw JetStream one way, raw request/reply. */
    static void latencyTable(StringBuilder sb, Histogram ours, Histogram inboxOnly, Histogram rawOneWay,
            Histogram rawRtt) {
        sb.append("| run | p50 ms | p99 ms |\n|---|---|---|\n");
        row(sb, "orgmesh DM: send on leaf 0 → handler called on leaf 1", ours);
        row(sb, "orgmesh DM with the fast lane off (from the inbox only)", inboxOnly);
        row(sb, "raw jnats JetStream publish on leaf 0 → pull fetch on leaf 1", rawOneWay);
        row(sb, "raw jnats request/reply leaf 0 ↔ leaf 1 (core NATS, round trip)", rawRtt);
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
