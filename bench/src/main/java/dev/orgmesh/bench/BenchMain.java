package dev.orgmesh.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.orgmesh.protocol.Json;

/**
 * Runs the benchmarks named on the command line (all when none) and prints Markdown for {@code docs/benchmarks.md}.
 * Every benchmark measures orgmesh and raw jnats doing the same work in the same run, on the same nats-server. With
 * {@code -Dbench.results=DIR} each benchmark also writes {@code DIR/<name>.json} (its figures and ratios), from which
 * {@code bench/charts.py} draws the charts.
 *
 * <p>Sizes: {@code -Dbench.agents=10000,100000} and {@code -Dbench.seconds=60} (heartbeat), {@code -Dbench.messages}
 * and {@code -Dbench.pings} (pipeline), {@code -Dbench.asks} and {@code -Dbench.askRequests} (ask),
 * {@code -Dbench.tasks} and {@code -Dbench.taskAgents=1,3,10} (tasks), {@code -Dbench.requests} and
 * {@code -Dbench.concurrency} (vault).
 */
public final class BenchMain {
    static final List<String> ALL = List.of("heartbeat", "pipeline", "ask", "tasks", "vault");

    private BenchMain() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(1); // a failed benchmark's client threads must not keep the JVM alive either
        }
        // nats-servers are stopped by now; what lingers (client and runtime threads) must not keep the JVM alive
        System.exit(0);
    }

    static void run(String[] args) throws Exception {
        List<String> which = args.length == 0 ? ALL : List.of(args);
        for (String w : which) {
            if (!ALL.contains(w)) {
                throw new IllegalArgumentException("unknown benchmark '" + w + "'; known: " + String.join(", ", ALL));
            }
        }
        String machine = String.format(Locale.ROOT, "%d cores, %s %s, %d MiB max heap, %s %s",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() / (1024 * 1024),
                ManagementFactory.getOperatingSystemMXBean().getName(),
                ManagementFactory.getOperatingSystemMXBean().getVersion());
        BenchOutput.print("Machine: " + machine + "\n\n");
        for (String w : which) {
            List<Figure> figures = new ArrayList<>();
            String md = switch (w) {
                case "heartbeat" -> {
                    StringBuilder sb = new StringBuilder();
                    for (int agents : intsProp("bench.agents", "10000,100000")) {
                        sb.append(HeartbeatBench.run(agents, intProp("bench.seconds", 60), figures));
                    }
                    yield sb.toString();
                }
                case "pipeline" ->
                    PipelineBench.run(intProp("bench.messages", 10_000), intProp("bench.pings", 6_000), figures);
                case "ask" -> AskBench.run(intProp("bench.asks", 6_000), intProp("bench.askRequests", 20_000), figures);
                case "tasks" ->
                    TaskQueueBench.run(intProp("bench.tasks", 10_000), intsProp("bench.taskAgents", "1,3,10"), figures);
                case "vault" -> VaultBench.run(intProp("bench.requests", 20_000), intProp("bench.concurrency", 8),
                        figures);
                default -> throw new IllegalStateException(w);
            };
            BenchOutput.print(md);
            String dir = System.getProperty("bench.results");
            if (dir != null) {
                write(Path.of(dir).resolve(w + ".json"), w, machine, figures, md);
            }
        }
    }

    static void write(Path file, String bench, String machine, List<Figure> figures, String markdown)
            throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("bench", bench);
        root.put("when", Instant.now().toString());
        root.put("machine", machine);
        List<Map<String, Object>> fs = new ArrayList<>();
        for (Figure f : figures) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", f.label());
            m.put("unit", f.unit());
            m.put("orgmesh", f.orgmesh());
            m.put("raw", f.raw());
            m.put("ratio", f.ratio());
            m.put("higher_is_better", f.higherIsBetter());
            m.put("target", f.target());
            m.put("met", f.met());
            fs.add(m);
        }
        root.put("figures", fs);
        root.put("markdown", markdown);
        Files.createDirectories(file.getParent());
        Files.writeString(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    static int intProp(String name, int def) {
        return Integer.parseInt(System.getProperty(name, String.valueOf(def)));
    }

    static List<Integer> intsProp(String name, String def) {
        return Arrays.stream(System.getProperty(name, def).split(",")).map(String::trim).map(Integer::valueOf)
                .toList();
    }
}
