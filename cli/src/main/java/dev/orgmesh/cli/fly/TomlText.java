package dev.orgmesh.cli.fly;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes the small subset of TOML a {@code fly.toml} needs: comments, tables, arrays of tables, and string, integer
 * and boolean values. Strings are TOML basic strings with every special character escaped, so any value (a path with
 * a quote, a command line) stays one value.
 */
final class TomlText {
    private final StringBuilder text = new StringBuilder();
    private boolean inTable;

    TomlText comment(String line) {
        text.append(inTable ? "  " : "").append(line.isEmpty() ? "#" : "# " + line).append('\n');
        return this;
    }

    /** An empty line; comments after it are written at the top level, above the next table. */
    TomlText blank() {
        text.append('\n');
        inTable = false;
        return this;
    }

    /** Starts {@code [name]}; following keys are indented under it. */
    TomlText table(String name) {
        text.append('[').append(name).append("]\n");
        inTable = true;
        return this;
    }

    /** Starts {@code [[name]]}, one more element of an array of tables. */
    TomlText arrayTable(String name) {
        text.append("[[").append(name).append("]]\n");
        inTable = true;
        return this;
    }

    TomlText kv(String key, String value) {
        return line(key, quote(value));
    }

    TomlText kv(String key, int value) {
        return line(key, Integer.toString(value));
    }

    TomlText kv(String key, boolean value) {
        return line(key, Boolean.toString(value));
    }

    TomlText kv(String key, List<String> values) {
        return line(key, values.stream().map(TomlText::quote).collect(Collectors.joining(", ", "[", "]")));
    }

    private TomlText line(String key, String literal) {
        text.append(inTable ? "  " : "").append(bareOrQuotedKey(key)).append(" = ").append(literal).append('\n');
        return this;
    }

    private static String bareOrQuotedKey(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : quote(key);
    }

    /** A TOML basic string. */
    static String quote(String value) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        q.append(String.format("\\u%04X", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
