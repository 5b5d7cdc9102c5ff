package dev.orgmesh.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;

import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.vault.bridge.NatsEvents;
import dev.orgmesh.vault.bridge.SecretService;
import dev.orgmesh.vault.bridge.VaultResponder;
import dev.orgmesh.vault.client.VaultClient;
import dev.orgmesh.vault.crypto.ReplayGuard;
import dev.orgmesh.vault.crypto.Signatures;
import dev.orgmesh.vault.policy.SecretPolicy;
import dev.orgmesh.vault.store.EmbeddedStore;
import dev.orgmesh.vault.store.MasterKey;
import dev.orgmesh.vault.store.SecretPath;
import dev.orgmesh.vault.wire.SecretRequest;
import dev.orgmesh.vault.wire.WireCodec;

/**
 * Secret fetches per second and their latency, embedded store, one bridge: {@link VaultClient#fetch} (key pair,
 * NKey signature, request, verify, policy, AES-GCM store read, HPKE seal, audit event published to JetStream, open)
 * against raw jnats request/reply carrying bodies of the same sizes to a responder that answers a fixed reply, in the
 * same run, on the same nats-server, with the same number of concurrent callers.
 */
final class VaultBench {
    private VaultBench() {
    }

    record Result(String name, long ok, double seconds, Histogram latency) {
        double perSecond() {
            return ok / seconds;
        }
    }

    static String run(int requests, int concurrency, List<Figure> figures) throws Exception {
        Org org = OrgLoader.parse("""
                company: vbench
                teams: { ops: {} }
                humans: [ { id: boss } ]
                agents:
                  - { id: agent-a, role: role-ops, team: ops, reports_to: boss, secrets: [API_TOKEN] }
                """, "bench");
        Subjects s = org.subjects();
        Path dir = Files.createTempDirectory("vault-bench");
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        EmbeddedStore store = new EmbeddedStore(dir.resolve("vault.store"),
                MasterKey.fromBase64(Base64.getEncoder().encodeToString(raw)));
        byte[] value = new byte[48];
        new SecureRandom().nextBytes(value);
        store.put(SecretPath.company("API_TOKEN"), Base64.getEncoder().encode(value));
        NKey agentKey = NKey.createUser(new SecureRandom());
        String agentPublic = Signatures.publicKey(agentKey);

        try (NatsServer server = NatsServer.jetStream();
                Connection bridge = Nats.connect(server.clientUrl());
                Connection agent = Nats.connect(Options.builder().server(server.clientUrl()).build())) {
            bridge.jetStreamManagement().addStream(OrgAssets.of(org, AssetLimits.defaults()).streams()
                    .get(s.eventsStream()));
            SecretPolicy policy = SecretPolicy.of(org);
            SecretService service = new SecretService(s, () -> policy,
                    id -> id.equals("agent-a") ? Optional.of(agentPublic) : Optional.empty(), store,
                    new ReplayGuard(Duration.ofSeconds(60), 10_000_000, InstantSource.system()),
                    new NatsEvents(bridge.jetStream(), s));
            VaultClient client = new VaultClient(s);
            List<String> names = List.of("API_TOKEN");
            try (VaultResponder responder = new VaultResponder(bridge, service, 64).start(Duration.ofSeconds(5))) {
                // Sizes of a real exchange, for the raw baseline.
                int requestSize = WireCodec.encode(new SecretRequest(1, "agent-a", names, "x".repeat(22),
                        System.currentTimeMillis(), agent.createInbox(), "y".repeat(43))).length + 200;
                int replySize = 400;
                int warmup = Math.min(2_000, requests / 10 + 1);
                BenchOutput.progress("vault: warm-up " + warmup);
                measure("warm-up", warmup, concurrency,
                        () -> client.fetch(agent, "agent-a", agentKey, names, Duration.ofSeconds(5)));
                BenchOutput.progress("vault: orgmesh fetch, " + requests + " requests, " + concurrency + " callers");
                Result ours = measure("orgmesh VaultClient.fetch", requests, concurrency,
                        () -> client.fetch(agent, "agent-a", agentKey, names, Duration.ofSeconds(5)));

                Dispatcher d = bridge.createDispatcher(m -> bridge.publish(m.getReplyTo(), new byte[replySize]));
                d.subscribe("raw.vault.agent-a.get", VaultResponder.QUEUE_GROUP);
                bridge.flush(Duration.ofSeconds(5));
                byte[] body = new byte[requestSize];
                measure("warm-up", warmup, concurrency,
                        () -> agent.request("raw.vault.agent-a.get", body, Duration.ofSeconds(5)));
                BenchOutput.progress("vault: raw jnats request/reply");
                Result rawResult = measure("raw jnats request/reply", requests, concurrency, () -> {
                    Message m = agent.request("raw.vault.agent-a.get", body, Duration.ofSeconds(5));
                    if (m == null) {
                        throw new IllegalStateException("no reply");
                    }
                    return m;
                });
                figures.add(new Figure("vault", "fetches/s, " + concurrency + " callers", "req/s", ours.perSecond(),
                        rawResult.perSecond(), true, null));
                figures.add(new Figure("vault", "fetch p50", "ms", ours.latency().getValueAtPercentile(50) / 1000.0,
                        rawResult.latency().getValueAtPercentile(50) / 1000.0, false, null));
                figures.add(new Figure("vault", "fetch p99", "ms", ours.latency().getValueAtPercentile(99) / 1000.0,
                        rawResult.latency().getValueAtPercentile(99) / 1000.0, false, null));
                return report(requests, concurrency, requestSize, replySize, ours, rawResult);
            }
        }
    }

    static Result measure(String name, int requests, int concurrency, Callable<?> call) throws Exception {
        ConcurrentHistogram latency = new ConcurrentHistogram(60_000_000L, 3);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                workers.add(pool.submit(() -> {
                    while (next.getAndIncrement() < requests) {
                        long start = System.nanoTime();
                        call.call();
                        latency.recordValue((System.nanoTime() - start) / 1000);
                        ok.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        }
        return new Result(name, ok.get(), (System.nanoTime() - t0) / 1e9, latency);
    }

    static String report(int requests, int concurrency, int requestSize, int replySize, Result ours, Result raw) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### Secret fetches, embedded store, %,d requests, %d callers%n%n",
                requests, concurrency));
        sb.append(String.format(Locale.ROOT,
                "orgmesh: sign + verify (Ed25519 NKey), policy, AES-256-GCM store read, HPKE seal/open, audit event "
                        + "to JetStream. Raw: jnats request/reply, %d-byte request, %d-byte reply.%n%n",
                requestSize, replySize));
        sb.append("| run | requests | per second | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n");
        for (Result r : new Result[]{ours, raw}) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %,.0f | %.2f | %.2f | %.2f |%n", r.name(), r.ok(),
                    r.perSecond(), r.latency().getValueAtPercentile(50) / 1000.0,
                    r.latency().getValueAtPercentile(99) / 1000.0, r.latency().getMaxValue() / 1000.0));
        }
        sb.append(String.format(Locale.ROOT, "%nRatio orgmesh / raw jnats: throughput %.2f×, p99 latency %.2f×.%n%n",
                ours.perSecond() / raw.perSecond(),
                (double) ours.latency().getValueAtPercentile(99) / raw.latency().getValueAtPercentile(99)));
        return sb.toString();
    }
}
