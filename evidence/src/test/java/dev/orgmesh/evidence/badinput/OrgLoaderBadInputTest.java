package dev.orgmesh.evidence.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.protocol.org.OrgProblem;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The org loader ({@code OrgLoader}, protocol) against bad org files: whatever the text, it returns an org or throws
 * an {@link OrgInvalidException} listing problems, each with a catalogue code of the org block (1000–1099), a path
 * and a message; never another exception, whatever the nesting, size or encoding. Mutations start from the seed's
 * org ({@code examples/komodo-ai.yaml}).
 */
class OrgLoaderBadInputTest {
    static final String SUITE = "OrgLoader/";
    static final Path KOMODO = Path.of("..", "examples", "komodo-ai.yaml");
    static final String KOMODO_TEXT = read(KOMODO);
    static final String[] YAML_TOKENS = {"company: ", "komodo-ai", "\n", "  ", "- ", "agents:", "teams:", "id: ",
            "{", "}", "[", "]", ":", ",", "'", "\"", "&a ", "*a", "!!binary ", "!!set ", "!!python/object ", "? ",
            "|", ">", "#", "---", "...", "%YAML 1.2", "null", "~", "true", "0x1F", "1e400", ".inf", "reports_to: ",
            "heartbeat: ", "every: ", "cron: ", "* * *", "\t", "\u00e9", "\uD83D\uDE00", "\u0000", "\uFEFF", "<<: "};

    @AfterContainer
    static void report() {
        BadInputReport.write();
    }

    @Property(tries = 200)
    void anyTextIsAnOrgOrAListOfProblems(@ForAll("anyText") String text) {
        outcome("anyText", text);
    }

    @Property(tries = 200)
    void aTruncatedOrgIsAnOrgOrAListOfProblems(@ForAll("truncated") String text) {
        outcome("truncated", text);
    }

    @Property(tries = 200)
    void aValueOfTheWrongTypeIsAProblemAtItsPath(@ForAll("wrongTypes") Mutation m) {
        String outcome = outcome("wrongType", m.text());
        // null is the same as leaving the field out: what it breaks is reported where it is used
        if (!outcome.equals("accepted") && !m.what().endsWith("NULL")) {
            assertThat(problems(m.text())).as("%s", m).anyMatch(p -> related(p.path(), m.path()));
        }
    }

    @Property(tries = 200)
    void anUnknownFieldIsNamedWithItsPath(@ForAll("unknownFields") Mutation m) {
        outcome("unknownField", m.text());
        assertThat(problems(m.text())).as("%s", m)
                .anyMatch(p -> p.code() == ErrorCode.ORG_UNKNOWN_FIELD && p.path().equals(m.path()));
    }

    @Property(tries = 200)
    void aMissingFieldIsAnOrgOrAProblem(@ForAll("removals") Mutation m) {
        String outcome = outcome("removedField", m.text());
        if (m.path().matches("company|agents\\[\\d+]\\.(id|role|team|reports_to)")) {
            assertThat(outcome).as("%s", m).isNotEqualTo("accepted");
        }
    }

    @Property(tries = 100)
    void deepNestingIsUnreadableNotACrash(@ForAll("deep") String text) {
        assertThat(outcome("deeplyNested", text)).isNotEqualTo("accepted");
    }

    @Property(tries = 30)
    void hugeValuesAndManyMembersAreHandled(@ForAll("huge") String text) {
        outcome("huge", text);
    }

    @Property(tries = 50)
    void anInvalidUtf8FileIsUnreadable(@ForAll("invalidUtf8") byte[] bytes) throws Exception {
        Path file = Files.createTempFile("org-", ".yaml");
        try {
            Files.write(file, bytes);
            String outcome;
            try {
                OrgLoader.load(file);
                outcome = "accepted";
            } catch (OrgmeshException e) {
                outcome = e.code().name();
            }
            BadInputReport.count(SUITE + "invalidUtf8File", outcome);
            assertThat(outcome).isEqualTo(ErrorCode.ORG_UNREADABLE.name());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Example
    void anAliasBombIsRefused() {
        StringBuilder b = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 12; i++) {
            String prev = "*a" + (i - 1);
            b.append("a").append(i).append(": &a").append(i).append(" [").append(String.join(", ",
                    java.util.Collections.nCopies(10, prev))).append("]\n");
        }
        b.append("company: komodo-ai\n");
        assertThat(outcome("aliasBomb", b.toString())).isNotEqualTo("accepted");
    }

    /** Found by this suite: {@code brain: null} in a layer made the loader throw a NullPointerException. */
    @Example
    void aNullBrainLayerFallsBackToTheDefaultKind() {
        String text = KOMODO_TEXT.replace("  brain: { kind: scripted, rules: default.rules.yaml }", "  brain: null");
        assertThat(text).isNotEqualTo(KOMODO_TEXT);
        assertThat(outcome("nullBrainLayer", text)).isEqualTo("accepted");
        assertThat(OrgLoader.parse(text, "test").agent("cto-athena").orElseThrow().brain().kind())
                .isEqualTo("scripted");
    }

    @Example
    void theSeedOrgIsValid() {
        assertThat(outcome("valid", KOMODO_TEXT)).isEqualTo("accepted");
    }

    // ---- generators ----------------------------------------------------------------------------------------------

    /** A changed org: its text and the path (in the loader's notation) of what was changed. */
    record Mutation(String path, String what, String text) {
        @Override
        public String toString() {
            return what + " at " + path;
        }
    }

    @Provide
    Arbitrary<String> anyText() {
        return Arbitraries.oneOf(
                Arbitraries.of(YAML_TOKENS).list().ofMaxSize(60).map(ts -> String.join("", ts)),
                Arbitraries.strings().ofMaxLength(300),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(300),
                Garbage.malformedJson().map(b -> new String(b.bytes(), StandardCharsets.UTF_8)));
    }

    @Provide
    Arbitrary<String> truncated() {
        return Arbitraries.integers().between(0, KOMODO_TEXT.length() - 1).map(n -> KOMODO_TEXT.substring(0, n));
    }

    @Provide
    Arbitrary<Mutation> wrongTypes() {
        return Arbitraries.randomValue(r -> {
            ObjectNode root = komodo();
            List<Slot> slots = new ArrayList<>();
            slots(root, "", slots);
            Slot s = slots.get(r.nextInt(slots.size()));
            JsonNode replacement;
            do {
                replacement = Garbage.value(r, 2);
            } while (replacement.getNodeType() == s.get().getNodeType());
            s.set(replacement);
            return new Mutation(s.path(), "wrong type " + replacement.getNodeType(), json(root));
        });
    }

    @Provide
    Arbitrary<Mutation> unknownFields() {
        return Arbitraries.randomValue(r -> {
            ObjectNode root = komodo();
            List<String> objects = new ArrayList<>(List.of(""));
            int agents = root.withArray("agents").size();
            for (int i = 0; i < agents; i++) {
                objects.add("agents[" + i + "].");
            }
            for (int i = 0; i < root.withArray("humans").size(); i++) {
                objects.add("humans[" + i + "].");
            }
            root.with("teams").fieldNames().forEachRemaining(t -> objects.add("teams." + t + "."));
            objects.add("hub.");
            String prefix = objects.get(r.nextInt(objects.size()));
            ObjectNode target = target(root, prefix, agents);
            String key;
            do {
                key = "x" + Garbage.name(r).replace(".", "_");
            } while (target.has(key));
            target.set(key, Garbage.value(r, 2));
            return new Mutation(prefix + key, "unknown field", json(root));
        });
    }

    @Provide
    Arbitrary<Mutation> removals() {
        return Arbitraries.randomValue(r -> {
            ObjectNode root = komodo();
            List<Slot> slots = new ArrayList<>();
            slots(root, "", slots);
            List<Slot> removable = slots.stream().filter(s -> s.parent() instanceof ObjectNode).toList();
            Slot s = removable.get(r.nextInt(removable.size()));
            ((ObjectNode) s.parent()).remove(s.key());
            return new Mutation(s.path(), "removed", json(root));
        });
    }

    @Provide
    Arbitrary<String> deep() {
        return Arbitraries.randomValue(r -> {
            int depth = Json.MAX_DEPTH + 1 + r.nextInt(5000);
            String nested = Garbage.nested(depth, r.nextBoolean());
            return switch (r.nextInt(3)) {
                case 0 -> nested;
                case 1 -> KOMODO_TEXT + "\nextra: " + nested + "\n";
                default -> KOMODO_TEXT.replace("soul: { specialization: \"platform engineering\"",
                        "soul: { deep: " + nested + ", specialization: \"platform engineering\"");
            };
        });
    }

    @Provide
    Arbitrary<String> huge() {
        return Arbitraries.randomValue(r -> {
            ObjectNode root = komodo();
            switch (r.nextInt(3)) {
                case 0 -> root.put("name", "N".repeat(1 + r.nextInt(2_000_000)));
                case 1 -> ((ObjectNode) root.withArray("agents").get(0)).put("id", "a".repeat(1 + r.nextInt(100_000)));
                default -> {
                    ArrayNode agents = root.withArray("agents");
                    int n = r.nextInt(1500);
                    for (int i = 0; i < n; i++) {
                        ObjectNode a = agents.addObject();
                        a.put("id", "worker-" + i).put("role", "role-worker").put("team", "eng")
                                .put("reports_to", i == 0 ? "cto-athena" : "worker-" + (i - 1));
                    }
                }
            }
            return json(root);
        });
    }

    @Provide
    Arbitrary<byte[]> invalidUtf8() {
        byte[] valid = KOMODO_TEXT.getBytes(StandardCharsets.UTF_8);
        return Arbitraries.randomValue(r -> Garbage.splice(valid, r));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** One value in the tree: its parent (object or array), its key or index, and its path in the loader's notation. */
    record Slot(JsonNode parent, String key, int index, String path) {
        JsonNode get() {
            return key != null ? parent.get(key) : parent.get(index);
        }

        void set(JsonNode v) {
            if (key != null) {
                ((ObjectNode) parent).set(key, v);
            } else {
                ((ArrayNode) parent).set(index, v);
            }
        }
    }

    static void slots(JsonNode node, String path, List<Slot> out) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                out.add(new Slot(node, e.getKey(), -1, p));
                slots(e.getValue(), p, out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = path + "[" + i + "]";
                out.add(new Slot(node, null, i, p));
                slots(node.get(i), p, out);
            }
        }
    }

    static ObjectNode target(ObjectNode root, String prefix, int agents) {
        if (prefix.isEmpty()) {
            return root;
        }
        if (prefix.equals("hub.")) {
            return root.with("hub");
        }
        if (prefix.startsWith("teams.")) {
            return root.with("teams").with(prefix.substring(6, prefix.length() - 1));
        }
        int i = Integer.parseInt(prefix.substring(prefix.indexOf('[') + 1, prefix.indexOf(']')));
        return (ObjectNode) root.withArray(prefix.startsWith("agents") ? "agents" : "humans").get(i);
    }

    /** Whether a problem at {@code problem} is about the change at {@code changed} (one contains the other). */
    static boolean related(String problem, String changed) {
        return problem.equals("$") || problem.startsWith(changed) || changed.startsWith(problem)
                || problem.startsWith(changed.replaceAll("\\[\\d+]$", ""));
    }

    static ObjectNode komodo() {
        try {
            return (ObjectNode) Json.yaml().readTree(KOMODO_TEXT);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String json(JsonNode node) {
        return new String(Json.write(node), StandardCharsets.UTF_8);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static List<OrgProblem> problems(String text) {
        try {
            OrgLoader.parse(text, "fuzz");
            return List.of();
        } catch (OrgInvalidException e) {
            return e.problems();
        }
    }

    /**
     * Parses, counts the outcome ({@code accepted}, or the first problem's code) and checks that a refusal lists
     * problems of the org block, each with a path and a message.
     */
    static String outcome(String property, String text) {
        String outcome;
        try {
            OrgLoader.parse(text, "fuzz");
            outcome = "accepted";
        } catch (OrgInvalidException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.ORG_INVALID);
            assertThat(e.problems()).isNotEmpty();
            for (OrgProblem p : e.problems()) {
                assertThat(p.code().code()).as("%s", p).isBetween(1000, 1099);
                // a member named "" at the top level has the path "" (fields at the top have no prefix)
                assertThat(p.path()).as("%s", p).isNotNull();
                assertThat(p.message()).as("%s", p).isNotBlank();
            }
            outcome = e.problems().getFirst().code().name();
        }
        BadInputReport.count(SUITE + property, outcome);
        return outcome;
    }
}
