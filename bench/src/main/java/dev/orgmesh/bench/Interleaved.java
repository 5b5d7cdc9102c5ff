package dev.orgmesh.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * Latency of several ways of doing the same thing, one operation at a time, measured in alternating rounds: every
 * probe is warmed up first, until the JIT compiler has settled (so each one's path runs compiled before any of them
 * is timed), then each round measures every probe in turn, starting with a different one each round. A burst of noise
 * on the shared machine, or a late compilation, then lands on all of them alike instead of on whichever happened to run
 * during it.
 */
final class Interleaved {
    /**
     * A warm-up block after which the JIT compiled less than this is the last one. The compiler threads share the two
     * cores with everything measured: at 1,000 operations per probe they still spent 11 s compiling during the next
     * 6,000 of each (orgmesh's path is Jackson, Mutiny and the runtime, far more code than raw jnats'), and orgmesh's
     * p99 in that stretch was 2.8× what it was once compilation had settled; in production the runtime is a native
     * image, compiled before it starts.
     */
    static final long SETTLED_MS = Long.getLong("bench.jitSettledMs", 50);
    /** Most warm-up blocks (of {@code warmup} operations per probe) before measuring anyway. */
    static final int MAX_BLOCKS = Integer.getInteger("bench.maxWarmupBlocks", 20);

    private Interleaved() {
    }

    /** One operation, timed by the probe itself. */
    interface Probe {
        /** Does the operation once and returns its latency in microseconds, or a negative value if it failed. */
        long once() throws Exception;
    }

    /** The histograms in the order of the probes, and how the warm-up went. */
    record Result(List<Histogram> histograms, int warmupPerProbe, long lastBlockJitMs) {
        Histogram get(int i) {
            return histograms.get(i);
        }

        /** One line for a report: how long the warm-up was and why it stopped. */
        String warmup() {
            return String.format(Locale.ROOT,
                    "warm-up of %,d of each way (ended when a block of them left the JIT %d ms of compiling, %s %d ms)",
                    warmupPerProbe, lastBlockJitMs, lastBlockJitMs < SETTLED_MS ? "under" : "still over",
                    SETTLED_MS);
        }
    }

    /**
     * Histograms in the order of {@code probes}, {@code samples} operations each (failed ones not recorded), after
     * warm-up blocks of {@code warmup} operations per probe, repeated until a block leaves the JIT compiler under
     * {@link #SETTLED_MS} of work (at most {@link #MAX_BLOCKS}).
     */
    static Result measure(List<Probe> probes, int warmup, int samples, int rounds) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean canTell = jit != null && jit.isCompilationTimeMonitoringSupported();
        int blocks = 0;
        long lastBlock = 0;
        do {
            long before = canTell ? jit.getTotalCompilationTime() : 0;
            for (int n = 0; n < warmup; n++) {
                for (Probe p : probes) {
                    p.once();
                }
            }
            blocks++;
            lastBlock = canTell ? jit.getTotalCompilationTime() - before : 0;
            BenchOutput.progress(String.format(Locale.ROOT, "warm-up block %d: %,d of each, JIT %d ms", blocks,
                    warmup, lastBlock));
        } while (canTell && lastBlock >= SETTLED_MS && blocks < MAX_BLOCKS);
        List<Histogram> out = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            out.add(new Histogram(60_000_000L, 3));
        }
        int perRound = Math.max(1, samples / rounds);
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < probes.size(); k++) {
                int i = (r + k) % probes.size();
                for (int n = 0; n < perRound; n++) {
                    long us = probes.get(i).once();
                    if (us >= 0) {
                        out.get(i).recordValue(us);
                    }
                }
            }
        }
        return new Result(out, blocks * warmup, lastBlock);
    }
}
