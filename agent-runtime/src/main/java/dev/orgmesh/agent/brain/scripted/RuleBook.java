package dev.orgmesh.agent.brain.scripted;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The rules of a {@code scripted} brain, read from YAML (or JSON). Format:
 *
 * <pre>
 * rules:
 *   - name: evaluate-migration          # for logs
 *     when:                             # every condition must hold; no `when` matches everything
 *       type: task                      # id fields (type, from, to, source, status, ...): equal
 *       from: [ceo-genesis, board]      # a list: any of
 *       subject: "migration"            # text fields (subject, context, summary, ...): contains, any case
 *       context: { regex: "EOL|end of life" }   # or { equals: }, { contains: }, { present: true|false }
 *     files:                            # written into the workspace first (published when referenced)
 *       "r2://komodo-ai/reports/x.md": "# Report on {{subject}}"
 *     ask:                              # questions asked first; the answer's fields are {{answer.summary}}, ...
 *       - { to: security-argus, subject: "Is {{subject}} safe?", timeout: 30s }
 *     send:                             # messages, each a partial envelope; the first is the reply
 *       - { type: report, status: complete, summary: "Done: {{subject}} ({{answer.summary}})" }  # to: the sender
 *       - { to: "role:role-backend", type: task, subject: "Implement {{subject}}", deadline: "{{now+2d}}" }
 *     enqueue:                          # tasks on a role's queue (the enqueue action)
 *       - { role: role-backend, subject: "Migrate {{subject}}" }
 *     publish:                          # events (the publish action), for whoever subscribes
 *       - { event: deployment, subject: "Deployed {{subject}}", context: "{{context}}" }
 *   - name: cannot
 *     when: { type: task }
 *     blocked: "I have no tool for {{subject}}"   # or failed: "..."
 * </pre>
 *
 * The first rule that matches decides; a message no rule matches is left alone. Values are {@link Template}s.
 * {@code ask}, {@code enqueue} and {@code publish} are actions of the brain's action set (checked against the role's
 * permissions like any brain's); one that is refused fails the message with the refusal's code and reason.
 */
public final class RuleBook {
    private static final Set<String> RULE_KEYS = Set.of("name", "when", "send", "files", "blocked", "failed",
            "ask", "publish", "enqueue");
    private static final Set<String> CONDITION_KEYS = Set.of("equals", "contains", "regex", "present");
    /** Fields compared whole; every other field matches by case-insensitive substring. */
    static final Set<String> EXACT_FIELDS = Set.of("id", "from", "to", "type", "source", "status", "priority", "re",
            "thread", "recommendation", "deadline");

    private final String origin;
    private final List<Rule> rules;

    private RuleBook(String origin, List<Rule> rules) {
        this.origin = origin;
        this.rules = List.copyOf(rules);
    }

    /** Whether any rule writes workspace files (the only thing a scripted brain does that touches the disk). */
    public boolean writesFiles() {
        return rules.stream().anyMatch(r -> !r.files().isEmpty());
    }

    /** Whether any rule asks another member (and so waits for an answer). */
    public boolean asks() {
        return rules.stream().anyMatch(Rule::waits);
    }

    /** Whether any rule's messages carry artifact references ({@code artifacts}, {@code artifact_path}). */
    public boolean referencesArtifacts() {
        return rules.stream().flatMap(r -> r.send().stream())
                .anyMatch(d -> d.has("artifacts") || d.has("artifact_path"));
    }

    /** No rules: every message is left alone. */
    public static RuleBook empty() {
        return new RuleBook("(no rules)", List.of());
    }

    /** Reads a rules file; every problem is reported at once with its path. */
    public static RuleBook load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.ORG_BAD_VALUE, "rules file " + file + " cannot be read: "
                    + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = Json.yaml().readTree(text);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.ORG_BAD_VALUE, "rules file " + file + " is not valid YAML: "
                    + e.getMessage(), e);
        }
        return of(root, file.toString());
    }

    /** Rules from parsed YAML/JSON: an object with a {@code rules} list, or the list itself. */
    public static RuleBook of(JsonNode root, String origin) {
        JsonNode list = root != null && root.isObject() ? root.get("rules") : root;
        List<String> problems = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        if (list == null || !list.isArray()) {
            problems.add("rules: must be a list of rules");
        } else {
            for (int i = 0; i < list.size(); i++) {
                Rule r = rule(list.get(i), "rules[" + i + "]", problems);
                if (r != null) {
                    rules.add(r);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new OrgmeshException(ErrorCode.ORG_BAD_VALUE, origin + ": " + problems.size() + " problem(s):\n  "
                    + String.join("\n  ", problems));
        }
        return new RuleBook(origin, rules);
    }

    private static Rule rule(JsonNode n, String path, List<String> problems) {
        if (n == null || !n.isObject()) {
            problems.add(path + ": must be a mapping with when/send");
            return null;
        }
        int before = problems.size();
        n.fieldNames().forEachRemaining(k -> {
            if (!RULE_KEYS.contains(k)) {
                problems.add(path + "." + k + ": unknown key (expected one of " + String.join(", ", RULE_KEYS.stream()
                        .sorted().toList()) + ")");
            }
        });
        String name = n.hasNonNull("name") ? n.get("name").asText() : path;
        Map<String, Condition> when = new LinkedHashMap<>();
        JsonNode w = n.get("when");
        if (w != null && !w.isNull()) {
            if (!w.isObject()) {
                problems.add(path + ".when: must be a mapping of field: condition");
            } else {
                Iterator<Map.Entry<String, JsonNode>> it = w.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Condition c = condition(e.getKey(), e.getValue(), path + ".when." + e.getKey(), problems);
                    if (c != null) {
                        when.put(e.getKey(), c);
                    }
                }
            }
        }
        List<ObjectNode> send = new ArrayList<>();
        JsonNode s = n.get("send");
        if (s != null && !s.isNull()) {
            JsonNode items = s.isObject() ? Json.mapper().createArrayNode().add(s) : s;
            if (!items.isArray()) {
                problems.add(path + ".send: must be a list of messages");
            } else {
                for (int i = 0; i < items.size(); i++) {
                    if (!items.get(i).isObject()) {
                        problems.add(path + ".send[" + i + "]: must be a mapping of envelope fields");
                    } else {
                        send.add((ObjectNode) items.get(i));
                    }
                }
            }
        }
        Map<String, String> files = new LinkedHashMap<>();
        JsonNode f = n.get("files");
        if (f != null && !f.isNull()) {
            if (!f.isObject()) {
                problems.add(path + ".files: must be a mapping of reference or path: content");
            } else {
                f.properties().forEach(e -> files.put(e.getKey(), e.getValue().asText()));
            }
        }
        List<ObjectNode> asks = drafts(n, "ask", path, problems);
        List<ObjectNode> enqueue = drafts(n, "enqueue", path, problems);
        List<ObjectNode> publish = drafts(n, "publish", path, problems);
        for (int i = 0; i < asks.size(); i++) {
            if (!asks.get(i).hasNonNull("to")) {
                problems.add(path + ".ask[" + i + "].to: missing (the member to ask)");
            }
        }
        for (int i = 0; i < enqueue.size(); i++) {
            if (!enqueue.get(i).hasNonNull("role")) {
                problems.add(path + ".enqueue[" + i + "].role: missing (the role whose queue takes the task)");
            }
        }
        for (int i = 0; i < publish.size(); i++) {
            if (!publish.get(i).hasNonNull("event")) {
                problems.add(path + ".publish[" + i + "].event: missing (the event type, e.g. deployment)");
            }
        }
        String blocked = n.hasNonNull("blocked") ? n.get("blocked").asText() : null;
        String failed = n.hasNonNull("failed") ? n.get("failed").asText() : null;
        if ((blocked != null || failed != null) && !send.isEmpty()) {
            problems.add(path + ": has send and " + (blocked != null ? "blocked" : "failed")
                    + "; a rule either answers or gives up");
        }
        if (blocked != null && failed != null) {
            problems.add(path + ": has both blocked and failed");
        }
        return problems.size() > before
                ? null
                : new Rule(name, when, send, files, blocked, failed, asks, enqueue, publish);
    }

    /** The drafts under {@code key}: one mapping or a list of them. */
    private static List<ObjectNode> drafts(JsonNode n, String key, String path, List<String> problems) {
        List<ObjectNode> out = new ArrayList<>();
        JsonNode s = n.get(key);
        if (s == null || s.isNull()) {
            return out;
        }
        JsonNode items = s.isObject() ? Json.mapper().createArrayNode().add(s) : s;
        if (!items.isArray()) {
            problems.add(path + "." + key + ": must be a list of mappings");
            return out;
        }
        for (int i = 0; i < items.size(); i++) {
            if (!items.get(i).isObject()) {
                problems.add(path + "." + key + "[" + i + "]: must be a mapping");
            } else {
                out.add((ObjectNode) items.get(i));
            }
        }
        return out;
    }

    private static Condition condition(String field, JsonNode v, String path, List<String> problems) {
        boolean exact = EXACT_FIELDS.contains(field);
        if (v == null || v.isNull()) {
            return new Condition.Present(false);
        }
        if (v.isValueNode()) {
            return exact ? new Condition.Equals(v.asText()) : new Condition.Contains(v.asText());
        }
        if (v.isArray()) {
            List<Condition> any = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                Condition c = condition(field, v.get(i), path + "[" + i + "]", problems);
                if (c != null) {
                    any.add(c);
                }
            }
            return new Condition.AnyOf(any);
        }
        if (v.size() != 1 || !CONDITION_KEYS.contains(v.fieldNames().next())) {
            problems.add(path + ": expected a value, a list, or one of {equals|contains|regex|present: ...}");
            return null;
        }
        String kind = v.fieldNames().next();
        JsonNode arg = v.get(kind);
        return switch (kind) {
            case "equals" -> new Condition.Equals(arg.asText());
            case "contains" -> new Condition.Contains(arg.asText());
            case "present" -> new Condition.Present(arg.asBoolean());
            default -> {
                try {
                    yield new Condition.Regex(Pattern.compile(arg.asText()));
                } catch (PatternSyntaxException e) {
                    problems.add(path + ".regex: " + e.getDescription() + " in '" + arg.asText() + "'");
                    yield null;
                }
            }
        };
    }

    /** The first rule matching {@code message} (its JSON, plus {@code source}), if any. */
    public Optional<Rule> match(ObjectNode message, String source) {
        return rules.stream().filter(r -> r.matches(message, source)).findFirst();
    }

    /** How many rules there are. */
    public int size() {
        return rules.size();
    }

    /** Where the rules came from. */
    public String origin() {
        return origin;
    }

    /**
     * One rule.
     *
     * @param name for logs
     * @param when conditions by field, all of which must hold
     * @param send message drafts; the first is the reply
     * @param files workspace files to write (key: an artifact reference or a workspace path)
     * @param blocked reason template when the rule gives up as blocked
     * @param failed reason template when the rule gives up as failed
     * @param asks questions asked before anything is sent (the ask action)
     * @param enqueue tasks for roles' queues (the enqueue action)
     * @param publish events (the publish action)
     */
    public record Rule(String name, Map<String, Condition> when, List<ObjectNode> send, Map<String, String> files,
            String blocked, String failed, List<ObjectNode> asks, List<ObjectNode> enqueue, List<ObjectNode> publish) {

        /** Whether this rule takes actions that wait on the network (asks). */
        boolean waits() {
            return !asks.isEmpty();
        }

        boolean matches(ObjectNode message, String source) {
            for (Map.Entry<String, Condition> c : when.entrySet()) {
                JsonNode v = c.getKey().equals("source")
                        ? Json.mapper().getNodeFactory().textNode(source)
                        : message.get(c.getKey());
                if (!c.getValue().test(v)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A condition on one field. A list field matches when any of its items does. */
    public sealed interface Condition {
        boolean testText(String value);

        default boolean test(JsonNode v) {
            if (this instanceof Present p) {
                return p.present() == (v != null && !v.isNull());
            }
            if (v == null || v.isNull()) {
                return false;
            }
            if (v.isArray()) {
                for (JsonNode x : v) {
                    if (test(x)) {
                        return true;
                    }
                }
                return false;
            }
            return testText(v.isTextual() ? v.textValue() : v.toString());
        }

        record Equals(String expected) implements Condition {
            public boolean testText(String value) {
                return expected.equals(value);
            }
        }

        record Contains(String part) implements Condition {
            public boolean testText(String value) {
                return value.toLowerCase(Locale.ROOT).contains(part.toLowerCase(Locale.ROOT));
            }
        }

        record Regex(Pattern pattern) implements Condition {
            public boolean testText(String value) {
                return pattern.matcher(value).find();
            }
        }

        record Present(boolean present) implements Condition {
            public boolean testText(String value) {
                return present;
            }
        }

        record AnyOf(List<Condition> any) implements Condition {
            public boolean testText(String value) {
                return any.stream().anyMatch(c -> c.testText(value));
            }

            @Override
            public boolean test(JsonNode v) {
                return any.stream().anyMatch(c -> c.test(v));
            }
        }
    }
}
