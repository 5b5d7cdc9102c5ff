package dev.orgmesh.testkit;

/**
 * Reads a value out of a Prometheus text exposition (what a service's {@code /q/metrics} answers), so a test can
 * assert that a counter moved after the action it drove.
 */
public final class Metrics {
    private Metrics() {
    }

    /**
     * The sum of every sample of {@code name} whose labels include each of {@code labels} ({@code key="value"}
     * pairs, e.g. {@code outcome="ok"}); 0 when there is none.
     */
    public static double value(String exposition, String name, String... labels) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String sample = brace >= 0 ? line.substring(0, brace) : line.substring(0, line.indexOf(' '));
            if (!sample.equals(name)) {
                continue;
            }
            String tags = brace >= 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "";
            boolean all = true;
            for (String label : labels) {
                all &= tags.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(space + 1).trim());
            }
        }
        return sum;
    }
}
