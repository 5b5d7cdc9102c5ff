package dev.orgmesh.bench;

/**
 * One measured figure of a benchmark next to its raw jnats baseline from the same run, for the results file that
 * {@code bench/charts.py} turns into the charts of {@code docs/benchmarks.md}.
 *
 * @param bench the benchmark ({@code heartbeat}, {@code pipeline}, …)
 * @param label what was measured, short enough for a chart axis (e.g. {@code p99 lateness, 10k agents})
 * @param unit the unit of both values (e.g. {@code ms}, {@code msg/s}, {@code cores})
 * @param orgmesh orgmesh's value
 * @param raw raw jnats' value for the same work in the same run
 * @param higherIsBetter whether a larger value is better (throughput) or worse (latency, CPU)
 * @param target the ratio orgmesh / raw the issue asks for, or {@code null} when it names none
 */
record Figure(String bench, String label, String unit, double orgmesh, double raw, boolean higherIsBetter,
        Double target) {

    /** orgmesh ÷ raw jnats. */
    double ratio() {
        return raw == 0 ? Double.NaN : orgmesh / raw;
    }

    /** Whether the ratio meets the target ({@code null} when there is none). */
    Boolean met() {
        if (target == null) {
            return null;
        }
        return higherIsBetter ? ratio() >= target : ratio() <= target;
    }
}
