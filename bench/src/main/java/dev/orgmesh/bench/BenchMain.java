package dev.orgmesh.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Runs the benchmarks named on the command line (all when none) and prints Markdown for {@code docs/benchmarks.md}.
 * Every benchmark measures orgmesh and raw jnats doing the same work in the same run, on the same nats-server.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> which = args.length == 0 ? List.of("heartbeat", "pipeline", "vault") : List.of(args);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Machine: %d cores, %s %s, %d MiB max heap, %s%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() / (1024 * 1024),
                ManagementFactory.getOperatingSystemMXBean().getName()));
        for (String w : which) {
            switch (w) {
                case "heartbeat" ->
                    md.append(HeartbeatBench.run(intProp("bench.agents", 10_000), intProp("bench.seconds", 60)));
                case "pipeline" ->
                    md.append(PipelineBench.run(intProp("bench.messages", 20_000), intProp("bench.pings", 1_000)));
                case "vault" ->
                    md.append(VaultBench.run(intProp("bench.requests", 20_000), intProp("bench.concurrency", 8)));
                default -> throw new IllegalArgumentException(
                        "unknown benchmark '" + w + "'; known: heartbeat, pipeline, vault");
            }
        }
        BenchOutput.print(md.toString());
    }

    static int intProp(String name, int def) {
        return Integer.parseInt(System.getProperty(name, String.valueOf(def)));
    }
}
