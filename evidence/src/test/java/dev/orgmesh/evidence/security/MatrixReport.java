package dev.orgmesh.evidence.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.orgmesh.evidence.security.SecurityMatrix.Cell;
import dev.orgmesh.evidence.security.SecurityMatrix.Kind;

/** Writes a matrix run: cells per class and member kind, how many were allowed and denied, and any mismatch. */
final class MatrixReport {
    private MatrixReport() {
    }

    /** {@code observed} holds, per cell, what was seen (true = allowed). */
    static void write(String file, String title, List<Cell> cells, Map<Cell, Boolean> observed, List<String> notes) {
        Map<String, int[]> rows = new TreeMap<>();
        int mismatches = 0;
        for (Cell c : cells) {
            Boolean seen = observed.get(c);
            if (seen == null) {
                continue;
            }
            int[] r = rows.computeIfAbsent(c.cls() + " | " + c.member().kind().name().toLowerCase(), k -> new int[3]);
            r[seen ? 0 : 1]++;
            if (seen != c.expected()) {
                r[2]++;
                mismatches++;
            }
        }
        StringBuilder out = new StringBuilder("# ").append(title).append('\n');
        out.append(String.format("# %d cells, %d mismatches against SecurityMatrix.TABLE (docs/architecture.md)%n",
                observed.size(), mismatches));
        notes.forEach(n -> out.append("# ").append(n).append('\n'));
        out.append(String.format("%-50s %8s %8s %10s%n", "class | member kind", "allowed", "denied", "mismatch"));
        rows.forEach((k, r) -> out.append(String.format("%-50s %8d %8d %10d%n", k, r[0], r[1], r[2])));
        try {
            Path p = Path.of(file);
            Files.createDirectories(p.getParent());
            Files.writeString(p, out.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long count(List<Cell> cells, Kind kind) {
        return cells.stream().filter(c -> c.member().kind() == kind).count();
    }
}
