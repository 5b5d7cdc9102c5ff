package dev.orgmesh.bench;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import com.sun.management.OperatingSystemMXBean;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.heartbeat.HeartbeatEngine;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;

/**
 * Heartbeat lateness at N agents with mixed schedules (every 10 s / 15 s / 30 s, cron every 5 s / 20 s), measured as
 * the time from a tick's slot to its arrival at a subscriber, and CPU of this process per second of wall time.
 * Baseline: raw jnats publishing the same ticks (same subjects pattern, same size, Nats-Msg-Id, async JetStream
 * publish) from a loop that wakes at each second, in the same run on the same server.
 */
final class HeartbeatBench {
    private static final int[] PERIODS = {10, 15, 30, 5, 20};
    private static final int WARM_UP_SECONDS = 10;

    private HeartbeatBench() {
    }

    record Result(String name, long ticks, Histogram lateness, double cpuCores) {
    }

    static String run(int agents, int seconds, List<Figure> figures) throws Exception {
        Org org = org("hbbench", agents);
        try (NatsServer server = NatsServer.jetStream()) {
            try (Connection admin = Nats.connect(server.clientUrl())) {
                StreamConfiguration hb = OrgAssets.of(org, AssetLimits.defaults()).streams()
                        .get(org.subjects().heartbeatStream());
                admin.jetStreamManagement().addStream(hb);
                admin.jetStreamManagement().addStream(
                        StreamConfiguration.builder(hb).name("RAW_HEARTBEAT").subjects("raw.heartbeat.*").build());
            }
            BenchOutput.progress("heartbeat: orgmesh, " + agents + " agents, " + seconds + " s");
            Result ours = measure("orgmesh heartbeat", server, "hbbench.heartbeat.>", seconds, () -> {
                HeartbeatEngine engine = new HeartbeatEngine(Nats.connect(server.clientUrl()),
                        NatsSettings.of(server.clientUrl()),
                        InstantSource.system(), Duration.ofSeconds(1), "heartbeat");
                engine.start();
                engine.setOrg(org);
                return engine::close;
            });
            BenchOutput.progress("heartbeat: raw jnats");
            Result raw = measure("raw jnats", server, "raw.heartbeat.>", seconds, () -> rawPublisher(server, agents));
            String k = agents % 1000 == 0 ? agents / 1000 + "k" : String.valueOf(agents);
            figures.add(new Figure("heartbeat", "p50 lateness, " + k + " agents", "ms",
                    ours.lateness().getValueAtPercentile(50) / 1000.0, raw.lateness().getValueAtPercentile(50) / 1000.0,
                    false, null));
            figures.add(new Figure("heartbeat", "p99 lateness, " + k + " agents", "ms",
                    ours.lateness().getValueAtPercentile(99) / 1000.0, raw.lateness().getValueAtPercentile(99) / 1000.0,
                    false, null));
            figures.add(new Figure("heartbeat", "CPU, " + k + " agents", "cores", ours.cpuCores(), raw.cpuCores(),
                    false, null));
            return report(agents, seconds, ours, raw);
        }
    }

    /** Agents per org file chunk: the loader refuses files over 3 MiB, which 100,000 agents exceed. */
    private static final int CHUNK = 20_000;

    /**
     * An org of {@code agents} agents with the mixed schedules. Large orgs are loaded (and validated) in chunks of
     * {@value #CHUNK} agents, then joined into one {@link Org}: the scheduler sees one org either way.
     */
    static Org org(String company, int agents) {
        Org first = null;
        List<Agent> all = new ArrayList<>(agents);
        for (int from = 0; from < agents; from += CHUNK) {
            Org part = chunk(company, from, Math.min(agents, from + CHUNK));
            first = first == null ? part : first;
            all.addAll(part.agents());
        }
        return new Org(first.company(), first.name(), first.hub(), first.teams(), first.humans(), all,
                first.oversight());
    }

    private static Org chunk(String company, int from, int to) {
        StringBuilder sb = new StringBuilder(
                "company: " + company + "\nteams: { ops: {} }\nhumans: [ { id: boss } ]\nagents:\n");
        for (int i = from; i < to; i++) {
            int p = PERIODS[i % PERIODS.length];
            String hb = switch (i % PERIODS.length) {
                case 3 -> "{ cron: \"*/5 * * * * *\" }";
                case 4 -> "{ cron: \"*/20 * * * * *\" }";
                default -> "{ every: " + p + "s }";
            };
            sb.append("  - { id: a").append(i).append(", role: role-ops, team: ops, reports_to: boss, heartbeat: ")
                    .append(hb).append(" }\n");
        }
        return OrgLoader.parse(sb.toString(), "bench");
    }

    interface Workload {
        AutoCloseable start() throws Exception;
    }

    static Result measure(String name, NatsServer server, String subject, int seconds, Workload workload)
            throws Exception {
        ConcurrentHistogram lateness = new ConcurrentHistogram(3_600_000_000L, 3);
        AtomicLong ticks = new AtomicLong();
        // Slots in the first seconds are warm-up (the JIT, and loading the schedules of every agent): not counted.
        long countFromMicros = (Instant.now().getEpochSecond() + WARM_UP_SECONDS) * 1_000_000L;
        try (Connection sub = Nats.connect(server.clientUrl())) {
            Dispatcher d = sub.createDispatcher(m -> {
                long now = nowMicros();
                try {
                    // the slot is read straight from the bytes: a full JSON parse per tick made this subscriber the
                    // bottleneck of a burst, and its cost grew with the size of the envelope, not with lateness
                    Instant ts = slotOf(m.getData());
                    long slot = ts.getEpochSecond() * 1_000_000L + ts.getNano() / 1000;
                    if (slot >= countFromMicros) {
                        lateness.recordValue(Math.max(0, now - slot));
                        ticks.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            d.subscribe(subject);
            sub.flush(Duration.ofSeconds(5));
            var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            try (AutoCloseable running = workload.start()) {
                Instant end = Instant.now().plusSeconds(seconds + WARM_UP_SECONDS);
                while (Instant.now().isBefore(end)) {
                    LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                }
            }
            double cores = (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - wall0);
            return new Result(name, ticks.get(), lateness, cores);
        }
    }

    private static final byte[] TS = "\"ts\":\"".getBytes(StandardCharsets.US_ASCII);

    /** The {@code ts} of a tick's JSON, found without parsing the rest. */
    static Instant slotOf(byte[] json) {
        outer : for (int i = 0; i + TS.length < json.length; i++) {
            for (int j = 0; j < TS.length; j++) {
                if (json[i + j] != TS[j]) {
                    continue outer;
                }
            }
            int from = i + TS.length;
            int to = from;
            while (to < json.length && json[to] != '"') {
                to++;
            }
            return Instant.parse(new String(json, from, to - from, StandardCharsets.US_ASCII));
        }
        throw new IllegalArgumentException("no ts in " + new String(json, StandardCharsets.UTF_8));
    }

    static long nowMicros() {
        Instant n = Instant.now();
        return n.getEpochSecond() * 1_000_000L + n.getNano() / 1000;
    }

    /** The baseline: at every second boundary, publish each due agent's tick with raw jnats. */
    static AutoCloseable rawPublisher(NatsServer server, int agents) throws Exception {
        Connection c = Nats.connect(server.clientUrl());
        JetStream js = c.jetStream();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            long second = Instant.now().getEpochSecond() + 1;
            while (!Thread.currentThread().isInterrupted()) {
                long waitNanos = (second * 1_000_000_000L) - (nowMicros() * 1000L);
                if (waitNanos > 0) {
                    LockSupport.parkNanos(waitNanos);
                    continue;
                }
                Instant slot = Instant.ofEpochSecond(second);
                for (int i = 0; i < agents; i++) {
                    if (second % PERIODS[i % PERIODS.length] == 0) {
                        String body = "{\"id\":\"hb-a" + i + "-" + second + "\",\"from\":\"heartbeat\",\"to\":\"a" + i
                                + "\",\"type\":\"heartbeat\",\"subject\":\"Heartbeat\",\"context\":\"Read HEARTBEAT.md and follow it.\",\"ts\":\""
                                + slot + "\"}";
                        Headers h = new Headers();
                        h.put("Nats-Msg-Id", "hb-a" + i + "-" + second);
                        js.publishAsync(NatsMessage.builder().subject("raw.heartbeat.a" + i).headers(h)
                                .data(body.getBytes(StandardCharsets.UTF_8)).build());
                    }
                }
                second++;
            }
        });
        return () -> {
            t.interrupt();
            t.join(5000);
            c.close();
        };
    }

    static String report(int agents, int seconds, Result ours, Result raw) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### Heartbeat lateness, %,d agents, %d s%n%n", agents, seconds));
        sb.append(
                "Lateness = slot instant → arrival at a subscriber on the same server, after a " + WARM_UP_SECONDS
                        + " s warm-up. CPU = this JVM's CPU time ÷ wall time "
                        + "(scheduler, jnats and the measuring subscriber; nats-server is a separate process).\n\n");
        sb.append("| run | ticks | p50 ms | p99 ms | max ms | CPU (cores) |\n|---|---|---|---|---|---|\n");
        for (Result r : new Result[]{ours, raw}) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.1f | %.1f | %.1f | %.2f |%n", r.name(), r.ticks(),
                    r.lateness().getValueAtPercentile(50) / 1000.0, r.lateness().getValueAtPercentile(99) / 1000.0,
                    r.lateness().getMaxValue() / 1000.0, r.cpuCores()));
        }
        sb.append(String.format(Locale.ROOT, "%nRatio orgmesh / raw jnats: p99 lateness %.2f×, CPU %.2f×.%n%n",
                ratio(ours.lateness().getValueAtPercentile(99), raw.lateness().getValueAtPercentile(99)),
                ratio(ours.cpuCores(), raw.cpuCores())));
        return sb.toString();
    }

    static double ratio(double a, double b) {
        return b == 0 ? Double.NaN : a / b;
    }
}
