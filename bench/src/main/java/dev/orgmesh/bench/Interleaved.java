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
     * The warm-up ends after two blocks in a row during each of which the JIT compiled for less than this (one quiet
     * block is no proof: a block of 73 ms was once followed by one of 228 ms). The compiler threads share the two cores
     * with everything measured: at a fixed 1,000 operations per probe they still spent 11 s compiling during the next
     * 6,000 of each (orgmesh's path is Jackson, Mutiny and the runtime, far more code than raw jnats'), and orgmesh's
     * p99 in that stretch was 2.8× what it was once compilation had settled. The threshold is per block, whatever the
     * block's length in time.
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

    /**
     * The histograms in the order of the probes, and how the warm-up went: operations per probe, whether it ended
     * because the JIT had settled, the JIT's compile time in the last warm-up block and during the measured rounds
     * ({@code -1}: this JVM cannot tell).
     */
    record Result(List<Histogram> histograms, int warmupPerProbe, boolean settled, long lastBlockJitMs,
            long measuredJitMs) {
        Histogram get(int i) {
            return histograms.get(i);
        }

        /** One line for a report: how long the warm-up was, why it stopped, and what the JIT did afterwards. */
        String warmup() {
            if (lastBlockJitMs < 0) {
                return String.format(Locale.ROOT, "warm-up of %,d of each way (JIT compile time unavailable)",
                        warmupPerProbe);
            }
            return String.format(Locale.ROOT,
                    "warm-up of %,d of each way (it %s; the JIT then compiled for %d ms during the measured rounds)",
                    warmupPerProbe, settled
                            ? "ended after two blocks in a row with under " + SETTLED_MS + " ms of JIT compiling"
                            : "stopped at " + MAX_BLOCKS + " blocks, the last still with " + lastBlockJitMs
                                    + " ms of JIT compiling",
                    measuredJitMs);
        }
    }

    /**
     * Histograms in the order of {@code probes}, {@code samples} operations each (failed ones not recorded), after
     * warm-up blocks of {@code warmup} operations per probe, repeated until two blocks in a row keep the JIT compiler
     * under {@link #SETTLED_MS} of work (at most {@link #MAX_BLOCKS}).
     */
    static Result measure(List<Probe> probes, int warmup, int samples, int rounds) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean canTell = jit != null && jit.isCompilationTimeMonitoringSupported();
        int blocks = 0;
        int quiet = 0;
        long lastBlock = -1;
        do {
            long before = canTell ? jit.getTotalCompilationTime() : 0;
            for (int n = 0; n < warmup; n++) {
                for (Probe p : probes) {
                    p.once();
                }
            }
            blocks++;
            if (canTell) {
                lastBlock = jit.getTotalCompilationTime() - before;
                quiet = lastBlock < SETTLED_MS ? quiet + 1 : 0;
            }
            BenchOutput.progress(String.format(Locale.ROOT, "warm-up block %d: %,d of each, JIT %d ms", blocks,
                    warmup, lastBlock));
        } while (canTell && quiet < 2 && blocks < MAX_BLOCKS);
        List<Histogram> out = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            out.add(new Histogram(60_000_000L, 3));
        }
        long measuredFrom = canTell ? jit.getTotalCompilationTime() : 0;
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
        long measured = canTell ? jit.getTotalCompilationTime() - measuredFrom : -1;
        return new Result(out, blocks * warmup, quiet >= 2, lastBlock, measured);
    }
}
