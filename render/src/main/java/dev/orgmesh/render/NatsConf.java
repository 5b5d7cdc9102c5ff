package dev.orgmesh.render;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A small writer for nats-server's config format. Every value is double-quoted, so {@code $} in subjects
 * ({@code $JS.API.>}) and bcrypt hashes is never read as a variable reference.
 */
final class NatsConf {
    private final StringBuilder text = new StringBuilder();
    private int depth;

    NatsConf comment(String line) {
        indent().append("# ").append(line).append('\n');
        return this;
    }

    NatsConf blank() {
        text.append('\n');
        return this;
    }

    NatsConf kv(String key, String value) {
        indent().append(key).append(": ").append(quote(value)).append('\n');
        return this;
    }

    NatsConf raw(String key, String literal) {
        indent().append(key).append(": ").append(literal).append('\n');
        return this;
    }

    NatsConf list(String key, List<String> values) {
        if (values.size() <= 2) {
            indent().append(key).append(": [")
                    .append(values.stream().map(NatsConf::quote).collect(Collectors.joining(", "))).append("]\n");
            return this;
        }
        indent().append(key).append(": [\n");
        depth++;
        for (String v : values) {
            indent().append(quote(v)).append('\n');
        }
        depth--;
        indent().append("]\n");
        return this;
    }

    NatsConf open(String key) {
        indent().append(key).append(" {\n");
        depth++;
        return this;
    }

    NatsConf openArray(String key) {
        indent().append(key).append(" = [\n");
        depth++;
        return this;
    }

    NatsConf openItem() {
        indent().append("{\n");
        depth++;
        return this;
    }

    NatsConf close() {
        depth--;
        indent().append("}\n");
        return this;
    }

    NatsConf closeArray() {
        depth--;
        indent().append("]\n");
        return this;
    }

    private StringBuilder indent() {
        return text.append("  ".repeat(depth));
    }

    static String quote(String value) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> q.append(c);
            }
        }
        return q.append('"').toString();
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
