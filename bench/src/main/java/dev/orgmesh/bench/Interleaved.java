package dev.orgmesh.bench;

import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;

/**
 * Latency of several ways of doing the same thing, one operation at a time, measured in alternating rounds: every
 * probe is warmed up first (so the JIT has compiled each one's path before any of them is timed), then each round
 * measures every probe in turn, starting with a different one each round. A burst of noise on the shared machine, or
 * a late compilation, then lands on all of them alike instead of on whichever happened to run during it.
 */
final class Interleaved {
    private Interleaved() {
    }

    /** One operation, timed by the probe itself. */
    interface Probe {
        /** Does the operation once and returns its latency in microseconds, or a negative value if it failed. */
        long once() throws Exception;
    }

    /** Histograms in the order of {@code probes}, {@code samples} operations each (failed ones not recorded). */
    static List<Histogram> measure(List<Probe> probes, int warmup, int samples, int rounds) throws Exception {
        for (Probe p : probes) {
            for (int i = 0; i < warmup; i++) {
                p.once();
            }
        }
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
        return out;
    }
}
