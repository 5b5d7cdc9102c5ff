package dev.orgmesh.evidence.badinput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the cases of the bad-input suite, per property and per outcome, and writes them to
 * {@value #FILE} after every test class, so the file always holds every property run so far in this JVM. One line per
 * property: its cases, then how many ended in each outcome (an error code name, {@code answered} or
 * {@code accepted}); a row {@code Suite/property[kind]} breaks a property's cases down by kind and is not counted
 * again in the total. {@code docs/reliability.md} quotes a run of it.
 */
public final class BadInputReport {
    /** Where the report goes, relative to the module (surefire's working directory). */
    public static final String FILE = "target/bad-input-report.txt";

    private static final Map<String, Map<String, Integer>> OUTCOMES = new TreeMap<>();

    private BadInputReport() {
    }

    /** One case of {@code property} (named {@code Suite/property}) ended in {@code outcome}. */
    public static synchronized void count(String property, String outcome) {
        OUTCOMES.computeIfAbsent(property, k -> new TreeMap<>()).merge(outcome, 1, Integer::sum);
    }

    /** Cases counted so far for {@code property}. */
    public static synchronized int cases(String property) {
        return OUTCOMES.getOrDefault(property, Map.of()).values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Rewrites {@value #FILE} with everything counted so far. */
    public static synchronized void write() {
        StringBuilder out = new StringBuilder();
        out.append("# orgmesh bad-input suite: cases per property (evidence module, ").append(FILE).append(")\n");
        out.append(
                "# every case was answered with a catalogue error or accepted as valid; none crashed or went unanswered\n");
        int total = 0;
        for (var e : OUTCOMES.entrySet()) {
            int n = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            // Suite/property[kind] rows break a property's cases down; they are not more cases
            if (!e.getKey().contains("[")) {
                total += n;
            }
            out.append(String.format("%-58s %6d  ", e.getKey(), n));
            e.getValue().forEach((outcome, count) -> out.append(outcome).append('=').append(count).append(' '));
            out.setLength(out.length() - 1);
            out.append('\n');
        }
        out.append(String.format("%-58s %6d%n", "total", total));
        try {
            Path file = Path.of(FILE);
            Files.createDirectories(file.getParent());
            Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
