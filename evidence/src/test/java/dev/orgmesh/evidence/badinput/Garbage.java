package dev.orgmesh.evidence.badinput;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.Json;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomDistribution;

/**
 * Generators of bad input for the bad-input suite. Each case is a {@link Body}: the bytes and the kind of badness,
 * so the report can count cases per kind. Most generators use {@link Arbitraries#randomValue}: the seed jqwik reports
 * on a failure reproduces the case.
 */
final class Garbage {
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Byte sequences that are never valid UTF-8: a stray continuation, overlong forms, a surrogate, 0xFF, cut-offs. */
    static final List<byte[]> INVALID_UTF8 = List.of(new byte[]{(byte) 0x80}, new byte[]{(byte) 0xC3, 0x28},
            new byte[]{(byte) 0xC0, (byte) 0xAF}, new byte[]{(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
            new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[]{(byte) 0xFF},
            new byte[]{(byte) 0xFE, (byte) 0xFF}, new byte[]{(byte) 0xE2, (byte) 0x82},
            new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[]{(byte) 0xF0, (byte) 0x9F});

    private static final String[] TOKENS = {"{", "}", "[", "]", ":", ",", "\"", "\"id\"", "\"from\"", "\"to\"",
            "\"type\"", "\"hops\"", "\"names\"", "\"v\"", "\"agent\"", "null", "true", "false", "0", "-1", "1e999",
            "3.14", "\"x\"", "\\", "\\u00", "\\uD800", "'", "NaN", "undefined", " ", "\n", "\t", "//", "/*", "#",
            "\u00e9", "\u2028", "\uD83D\uDE00", "\u0000"};

    private Garbage() {
    }

    /** A message body and what kind of bad it is. */
    record Body(String kind, byte[] bytes) {
        @Override
        public String toString() {
            String text = new String(bytes, 0, Math.min(bytes.length, 120), StandardCharsets.UTF_8);
            return kind + " (" + bytes.length + " bytes): " + text.replace("\n", "\\n");
        }
    }

    /** Raw random bytes, up to {@code max}. */
    static Arbitrary<Body> randomBytes(int max) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(max).map(b -> new Body("random-bytes", b));
    }

    /** Token soup: JSON-ish fragments in random order, almost never valid JSON. */
    static Arbitrary<Body> malformedJson() {
        return Arbitraries.of(TOKENS).list().ofMinSize(1).ofMaxSize(40)
                .map(ts -> new Body("malformed-json", String.join("", ts).getBytes(StandardCharsets.UTF_8)));
    }

    /** Valid JSON that is not an object: scalars and arrays. */
    static Arbitrary<Body> notAnObject() {
        return Arbitraries.randomValue(r -> {
            JsonNode v = r.nextBoolean() ? value(r, 2) : array(r, 2);
            if (v.isObject()) {
                v = F.arrayNode().add(v);
            }
            return new Body("not-an-object", bytes(v));
        });
    }

    /** Nesting deeper than the parser allows ({@code Json.MAX_DEPTH}), as the whole body or inside a member. */
    static Arbitrary<Body> deeplyNested(int maxDepth) {
        return Arbitraries.randomValue(r -> {
            int depth = Json.MAX_DEPTH + 1 + r.nextInt(maxDepth - Json.MAX_DEPTH);
            String inner = nested(depth, r.nextBoolean());
            String body = r.nextBoolean() ? inner : "{\"id\":\"x\",\"payload\":" + inner + "}";
            return new Body("deeply-nested", body.getBytes(StandardCharsets.UTF_8));
        });
    }

    /** {@code depth} levels of arrays ({@code [[[…]]]}) or objects ({@code {"a":{"a":…}}}). */
    static String nested(int depth, boolean arrays) {
        StringBuilder b = new StringBuilder(depth * 6);
        for (int i = 0; i < depth; i++) {
            b.append(arrays ? "[" : "{\"a\":");
        }
        b.append("1");
        for (int i = 0; i < depth; i++) {
            b.append(arrays ? "]" : "}");
        }
        return b.toString();
    }

    /** A JSON object with one string member of {@code min..max} characters. */
    static Arbitrary<Body> huge(int min, int max) {
        return Arbitraries.integers().between(min, max).withDistribution(RandomDistribution.uniform()).map(n -> {
            char[] c = new char[n];
            Arrays.fill(c, 'x');
            return new Body("huge", ("{\"id\":\"big\",\"context\":\"" + new String(c) + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
        });
    }

    /** {@code valid} with an invalid UTF-8 sequence spliced in at a random position. */
    static Arbitrary<Body> invalidUtf8(Arbitrary<byte[]> valid) {
        return valid.flatMap(v -> Arbitraries.randomValue(r -> new Body("invalid-utf8", splice(v, r))));
    }

    static byte[] splice(byte[] valid, Random r) {
        byte[] bad = INVALID_UTF8.get(r.nextInt(INVALID_UTF8.size()));
        // inside the first string value when there is one, else anywhere
        int at = indexAfter(valid, "\":\"");
        if (at < 0 || r.nextInt(4) == 0) {
            at = r.nextInt(valid.length + 1);
        }
        byte[] out = new byte[valid.length + bad.length];
        System.arraycopy(valid, 0, out, 0, at);
        System.arraycopy(bad, 0, out, at, bad.length);
        System.arraycopy(valid, at, out, at + bad.length, valid.length - at);
        return out;
    }

    private static int indexAfter(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer : for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i + n.length;
        }
        return -1;
    }

    /** An empty body, or only whitespace. */
    static Arbitrary<Body> empty() {
        return Arbitraries.of("", " ", "\n", "\t\r\n ").map(s -> new Body("empty", s.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * {@code valid} with one of {@code fields} set to a value of another JSON type than the one it has ({@code null}
     * included: it is a wrong type where a value is required).
     */
    static Arbitrary<Body> wrongType(ObjectNode valid, Map<String, JsonNodeType> fields) {
        List<String> names = List.copyOf(new java.util.TreeSet<>(fields.keySet()));
        return Arbitraries.randomValue(r -> {
            ObjectNode o = valid.deepCopy();
            String field = names.get(r.nextInt(names.size()));
            JsonNode replacement;
            do {
                replacement = value(r, 2);
            } while (replacement.getNodeType() == fields.get(field));
            o.set(field, replacement);
            return new Body("wrong-type:" + field, bytes(o));
        });
    }

    /** {@code valid} with extra members whose names are none of {@code known}. */
    static Arbitrary<Body> unknownMembers(ObjectNode valid, Set<String> known) {
        return Arbitraries.randomValue(r -> {
            ObjectNode o = valid.deepCopy();
            int n = 1 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                String name;
                do {
                    name = name(r);
                } while (known.contains(name) || o.has(name));
                o.set(name, value(r, 3));
            }
            return new Body("unknown-members", bytes(o));
        });
    }

    /** {@code valid} cut short at a random byte. */
    static Arbitrary<Body> truncated(byte[] valid) {
        return Arbitraries.integers().between(1, valid.length - 1)
                .map(n -> new Body("truncated", Arrays.copyOf(valid, n)));
    }

    /** A random member name: ASCII, unicode, empty, or with dots and wildcards. */
    static String name(Random r) {
        return switch (r.nextInt(5)) {
            case 0 -> "";
            case 1 -> "x-" + Integer.toString(r.nextInt(1_000_000), 36);
            case 2 -> "\u00fcnknown_" + r.nextInt(100);
            case 3 -> "a.b.*.>" + r.nextInt(100);
            default -> new String(new char[1 + r.nextInt(8)]).replace('\0', (char) ('a' + r.nextInt(26)));
        };
    }

    /** A random JSON value nested at most {@code depth} levels. */
    static JsonNode value(Random r, int depth) {
        int pick = r.nextInt(depth > 0 ? 9 : 7);
        return switch (pick) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(r.nextBoolean());
            case 2 -> F.numberNode(r.nextInt());
            case 3 -> F.numberNode(r.nextDouble() * 1e6);
            case 4 -> F.numberNode(new java.math.BigInteger(100, r));
            case 5 -> F.textNode(text(r));
            case 6 -> F.textNode("");
            case 7 -> array(r, depth - 1);
            default -> object(r, depth - 1);
        };
    }

    static ArrayNode array(Random r, int depth) {
        ArrayNode a = F.arrayNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            a.add(value(r, Math.max(0, depth)));
        }
        return a;
    }

    static ObjectNode object(Random r, int depth) {
        ObjectNode o = F.objectNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            o.set(name(r) + i, value(r, Math.max(0, depth)));
        }
        return o;
    }

    /** Random text: ASCII, accents, emoji (surrogate pairs), control characters, quotes. */
    static String text(Random r) {
        String[] parts = {"a", "Z", "0", " ", "\u00e9", "\u4e2d", "\uD83D\uDE00", "\"", "\\", "\n", "\u0001", "\u2028",
                ".", "*", ">"};
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(20);
        for (int i = 0; i < n; i++) {
            b.append(parts[r.nextInt(parts.length)]);
        }
        return b.toString();
    }

    static byte[] bytes(JsonNode node) {
        return Json.write(node);
    }

    /** All of the generic kinds, for endpoints: what any client could send. */
    static List<Arbitrary<Body>> generic(int maxBytes, int hugeMin, int hugeMax, Arbitrary<byte[]> validBodies) {
        List<Arbitrary<Body>> all = new ArrayList<>();
        all.add(randomBytes(maxBytes));
        all.add(malformedJson());
        all.add(notAnObject());
        all.add(deeplyNested(3000));
        all.add(huge(hugeMin, hugeMax));
        all.add(invalidUtf8(validBodies));
        all.add(empty());
        return all;
    }
}
