package dev.orgmesh.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.HdrHistogram.Histogram;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.ask.Fallback;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;

/**
 * Request/reply to an agent, leaf → hub → leaf (issue 4's latency target, like for like): an agent runtime on leaf 0
 * calls {@link AgentRuntime#ask} ({@code {co}.ask.worker}, core NATS, with its {@code Nats-Msg-Id} header, the answer
 * decoded as an envelope) and the worker's runtime on leaf 1 answers it through its pipeline (decode, guards, handler
 * returning a reply, encode); raw jnats: {@code Connection.request} on leaf 0 to a dispatcher on leaf 1 that publishes
 * a fixed reply, request and reply of the same sizes as orgmesh's. One caller at a time for latency, then 8 callers
 * for throughput.
 */
final class AskBench {
    private AskBench() {
    }

    static String run(int pings, int concurrentRequests, List<Figure> figures) throws Exception {
        Org org = OrgLoader.parse(PipelineBench.ORG, "bench");
        try (HubTopology topo = HubTopology.start(2)) {
            AssetLimits limits = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
                    Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024,
                    Duration.ofSeconds(30), 5, 1024);
            try (Connection hub = Nats.connect(topo.hub().clientUrl())) {
                AssetApplier applier = new AssetApplier(hub.jetStreamManagement(), hub.keyValueManagement(),
                        org.subjects().assetPrefix());
                OrgAssets assets = OrgAssets.of(org, limits);
                applier.apply(assets, applier.plan(assets), false);
            }
            // the same answer from a handler that never blocks (called where the request arrived) and from one that
            // may (called on a virtual thread, as model-backed brains are)
            Handler answer = Handler.nonBlocking(
                    (in, ctx) -> Outcome.reply(in.reply(ctx.self().id(), "answer").subject("a").build()));
            Handler blockingAnswer = (in, ctx) -> Outcome.reply(in.reply(ctx.self().id(), "answer").subject("a")
                    .build());
            NatsSettings ws = PipelineBench.leafSettings(topo, 1, "ask-worker");
            NatsSettings ss = PipelineBench.leafSettings(topo, 0, "ask-sender");
            RuntimeOptions options = RuntimeOptions.defaults().withConcurrency(16)
                    .withLoopLimits(RuntimeOptions.defaults().maxChainRepeats(), Integer.MAX_VALUE);
            try (Connection wc = NatsConnector.connect(ws); Connection sc = NatsConnector.connect(ss)) {
                AgentRuntime worker = new AgentRuntime(wc, ws, AgentSoul.of(org, "worker", Optional.empty()), answer,
                        options, new SimpleMeterRegistry(), null).start();
                AgentRuntime worker2 = new AgentRuntime(wc, ws, AgentSoul.of(org, "worker-2", Optional.empty()),
                        blockingAnswer, options, new SimpleMeterRegistry(), null).start();
                AgentRuntime sender = new AgentRuntime(sc, ss, AgentSoul.of(org, "sender", Optional.empty()),
                        Handler.NOTHING, options, new SimpleMeterRegistry(), null).start();
                try {
                    Callable<Envelope> ask = () -> sender.ask("worker", question(), Duration.ofSeconds(5),
                            Fallback.none()).await().atMost(Duration.ofSeconds(10));
                    awaitAnswering(ask);
                    // sizes of one real exchange, for the raw baseline
                    Envelope q = question().toBuilder().from("sender").to("worker").build().withIdIfAbsent();
                    int requestSize = EnvelopeCodec.encode(q).length;
                    byte[] answerBytes = EnvelopeCodec.encode(ask.call());
                    int replySize = answerBytes.length;
                    byte[] questionBytes = EnvelopeCodec.encode(q);
                    try (Connection ca = Nats.connect(topo.leaf(0).clientUrl());
                            Connection cb = Nats.connect(topo.leaf(1).clientUrl())) {
                        // a real answer's bytes, so orgmesh's asker can also call this responder (diagnostic below)
                        Dispatcher d = cb.createDispatcher(m -> cb.publish(m.getReplyTo(), answerBytes));
                        d.subscribe("pbench.ask.raw");
                        d.subscribe("pbench.ask.raw.*"); // what orgmesh's asker sends: the asker as last token
                        cb.flush(Duration.ofSeconds(5));
                        byte[] body = questionBytes;
                        Callable<Message> raw = () -> {
                            Message m = ca.request("pbench.ask.raw", body, Duration.ofSeconds(5));
                            if (m == null) {
                                throw new IllegalStateException("no reply");
                            }
                            return m;
                        };
                        awaitAnswering(raw);
                        // where the difference is: each orgmesh side against a raw other side
                        Callable<Envelope> askRaw = () -> sender.ask("raw", question(), Duration.ofSeconds(5),
                                Fallback.none()).await().atMost(Duration.ofSeconds(10));
                        Callable<Message> rawAskWorker = () -> {
                            Message m = ca.request("pbench.ask.worker.sender", questionBytes, Duration.ofSeconds(5));
                            if (m == null) {
                                throw new IllegalStateException("no reply");
                            }
                            return m;
                        };
                        Callable<Envelope> askBlocking = () -> sender.ask("worker-2", question(),
                                Duration.ofSeconds(5), Fallback.none()).await().atMost(Duration.ofSeconds(10));
                        awaitAnswering(askRaw);
                        awaitAnswering(rawAskWorker);
                        awaitAnswering(askBlocking);
                        BenchOutput.progress("ask: " + pings + " one at a time, each way, in " + PipelineBench.ROUNDS
                                + " alternating rounds");
                        List<Callable<?>> calls = List.of(ask, raw, askRaw, rawAskWorker, askBlocking);
                        List<Interleaved.Probe> probes = calls.stream().<Interleaved.Probe>map(c -> () -> {
                            long t0 = System.nanoTime();
                            c.call();
                            return (System.nanoTime() - t0) / 1000;
                        }).toList();
                        Interleaved.Result h = Interleaved.measure(probes, PipelineBench.WARMUP, pings,
                                PipelineBench.ROUNDS);
                        VaultBench.Result oursSerial = serial("orgmesh ask", h.get(0));
                        VaultBench.Result rawSerial = serial("raw jnats request/reply", h.get(1));
                        VaultBench.Result askerOnly = serial("orgmesh ask → raw responder", h.get(2));
                        VaultBench.Result answerOnly = serial("raw request → orgmesh runtime answering", h.get(3));
                        VaultBench.Result blockingSerial = serial("orgmesh ask, a blocking handler (virtual thread)",
                                h.get(4));
                        BenchOutput.progress("ask: " + concurrentRequests + " with 8 callers");
                        VaultBench.Result oursPar = VaultBench.measure("orgmesh ask", concurrentRequests, 8, ask);
                        VaultBench.Result rawPar = VaultBench.measure("raw jnats request/reply", concurrentRequests,
                                8, raw);
                        figures.add(new Figure("ask", "ask p50, 1 caller", "ms", p(oursSerial, 50), p(rawSerial, 50),
                                false, 1.5));
                        figures.add(new Figure("ask", "ask p99, 1 caller", "ms", p(oursSerial, 99), p(rawSerial, 99),
                                false, 1.5));
                        figures.add(new Figure("ask", "asks/s, 8 callers", "req/s", oursPar.perSecond(),
                                rawPar.perSecond(), true, null));
                        figures.add(new Figure("ask", "ask p99, 8 callers", "ms", p(oursPar, 99), p(rawPar, 99),
                                false, null));
                        return report(requestSize, replySize, oursSerial, blockingSerial, rawSerial, oursPar, rawPar,
                                askerOnly, answerOnly) + "One caller's figures measured after a " + h.warmup()
                                + ".\n\n";
                    }
                } finally {
                    sender.close(Duration.ofSeconds(5));
                    worker.close(Duration.ofSeconds(5));
                    worker2.close(Duration.ofSeconds(5));
                }
            }
        }
    }

    /**
     * A one-caller result from interleaved rounds, whose wall time mixes every probe: one caller doing one at a time
     * spends the sum of its latencies, so that is its time.
     */
    static VaultBench.Result serial(String name, Histogram h) {
        return new VaultBench.Result(name, h.getTotalCount(), h.getTotalCount() * h.getMean() / 1e6, h);
    }

    static Envelope question() {
        return Envelope.builder().type("question").subject("ping").context("how is the build?").build();
    }

    /** The first requests may find the interest not yet propagated through the hub: retry until one is answered. */
    static void awaitAnswering(Callable<?> call) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                call.call();
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    static double p(VaultBench.Result r, double percentile) {
        return r.latency().getValueAtPercentile(percentile) / 1000.0;
    }

    static String report(int requestSize, int replySize, VaultBench.Result oursSerial,
            VaultBench.Result blockingSerial, VaultBench.Result rawSerial,
            VaultBench.Result oursPar, VaultBench.Result rawPar, VaultBench.Result askerOnly,
            VaultBench.Result answerOnly) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "### Ask (request/reply to an agent) leaf → hub → leaf, %d-byte question, %d-byte answer%n%n",
                requestSize, replySize));
        sb.append("| run | callers | requests | per second | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n");
        for (Object[] r : new Object[][]{{oursSerial, 1}, {blockingSerial, 1}, {rawSerial, 1}, {oursPar, 8},
                {rawPar, 8}}) {
            VaultBench.Result x = (VaultBench.Result) r[0];
            sb.append(String.format(Locale.ROOT, "| %s | %d | %,d | %,.0f | %.2f | %.2f |%n", x.name(), r[1], x.ok(),
                    x.perSecond(), p(x, 50), p(x, 99)));
        }
        sb.append(String.format(Locale.ROOT,
                "%nRatio orgmesh / raw jnats, 1 caller: p50 %.2f×, p99 %.2f× (target ≤ 1.5×); a blocking handler:"
                        + " p50 %.2f×, p99 %.2f×; 8 callers: throughput %.2f×, p99 %.2f×.%n%n",
                p(oursSerial, 50) / p(rawSerial, 50), p(oursSerial, 99) / p(rawSerial, 99),
                p(blockingSerial, 50) / p(rawSerial, 50), p(blockingSerial, 99) / p(rawSerial, 99),
                oursPar.perSecond() / rawPar.perSecond(), p(oursPar, 99) / p(rawPar, 99)));
        sb.append("Where the difference is (1 caller, each orgmesh side against a raw other side):\n\n");
        sb.append("| run | p50 ms | p99 ms | p50 ratio to raw |\n|---|---|---|---|\n");
        for (VaultBench.Result x : new VaultBench.Result[]{askerOnly, answerOnly}) {
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f× |%n", x.name(), p(x, 50), p(x, 99),
                    p(x, 50) / p(rawSerial, 50)));
        }
        sb.append('\n');
        return sb.toString();
    }
}
