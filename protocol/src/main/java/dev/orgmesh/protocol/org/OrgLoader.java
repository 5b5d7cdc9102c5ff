package dev.orgmesh.protocol.org;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;

/**
 * Reads an org file (YAML or JSON), checks every rule of the org file format and reports <em>every</em> problem at
 * once, each with its path and a fix hint, then applies the layered defaults (platform → company → team → agent; maps
 * merge, lists replace) to produce an {@link Org}.
 *
 * <p>One exception to "maps merge": in a heartbeat, {@code every} and {@code cron} are alternatives, so a layer that
 * sets one clears the other from the layers below it.
 */
public final class OrgLoader {
    /** Secret names are environment variable names. */
    static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static final Set<String> TOP_KEYS = Set.of("company", "name", "hub", "defaults", "teams", "humans",
            "agents", "approvals", "budgets", "roles");
    private static final Set<String> ROLE_KEYS = Set.of("actions", "ask");
    private static final Set<String> ASK_KEYS = Set.of("timeout", "fallback", "retries", "default_answer");
    private static final Set<String> GATE_KEYS = Set.of("id", "match", "approvers", "timeout", "on_timeout");
    private static final Set<String> MATCH_KEYS = Set.of("type", "from", "to", "priority", "team");
    private static final Set<String> BUDGETS_KEYS = Set.of("company", "teams", "agents", "reserve_tokens");
    private static final Set<String> BUDGET_KEYS = Set.of("tokens_per_day", "tokens_per_month", "usd_per_day",
            "usd_per_month");
    private static final Set<String> HUB_KEYS = Set.of("url");
    private static final Set<String> LAYER_KEYS = Set.of("heartbeat", "brain", "soul", "secrets", "events");
    private static final Set<String> TEAM_KEYS = Set.of("name", "description", "defaults");
    private static final Set<String> HUMAN_KEYS = Set.of("id", "name", "email");
    private static final Set<String> AGENT_KEYS = Set.of("id", "name", "role", "team", "reports_to", "description",
            "heartbeat", "brain", "soul", "secrets", "events", "ask");
    private static final Set<String> HEARTBEAT_KEYS = Set.of("enabled", "every", "cron", "active_hours", "tz",
            "prompt");

    /** The platform layer, below the company's {@code defaults}. */
    public static ObjectNode platformDefaults() {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.putObject("heartbeat").put("every", "30m").put("tz", "UTC").put("prompt", HeartbeatSpec.DEFAULT_PROMPT);
        d.putObject("brain").put("kind", "scripted");
        return d;
    }

    private OrgLoader() {
    }

    /** Loads and validates a file; throws {@link OrgInvalidException} listing every problem. */
    public static Org load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new OrgmeshException(ErrorCode.CLI_FILE_NOT_FOUND, "org file not found: " + file);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.ORG_UNREADABLE, "cannot read org file " + file + ": " + e.getMessage(),
                    e);
        }
        return parse(text, file.toString());
    }

    /** Validates org file text (YAML or JSON); throws {@link OrgInvalidException} listing every problem. */
    public static Org parse(String text, String source) {
        Builder b = new Builder();
        JsonNode root = b.read(text);
        Org org = root == null ? null : b.build(root);
        if (!b.problems.isEmpty()) {
            throw new OrgInvalidException(source, b.problems);
        }
        return org;
    }

    /** Every problem of the text, empty when it is a valid org. */
    public static List<OrgProblem> problems(String text) {
        try {
            parse(text, "org");
            return List.of();
        } catch (OrgInvalidException e) {
            return e.problems();
        }
    }

    /** Deep-merges {@code over} onto a copy of {@code base}: objects merge, everything else (lists too) replaces. */
    static ObjectNode merge(ObjectNode base, JsonNode over) {
        ObjectNode out = base.deepCopy();
        if (over == null || !over.isObject()) {
            return out;
        }
        over.properties().forEach(e -> {
            String k = e.getKey();
            JsonNode v = e.getValue();
            JsonNode existing = out.get(k);
            if (k.equals("heartbeat") && existing instanceof ObjectNode hb && v.isObject()
                    && (v.has("every") || v.has("cron"))) {
                ObjectNode cleared = hb.deepCopy();
                cleared.remove(List.of("every", "cron"));
                out.set(k, merge(cleared, v));
            } else if (existing instanceof ObjectNode eo && v.isObject()) {
                out.set(k, merge(eo, v));
            } else {
                out.set(k, v.deepCopy());
            }
        });
        return out;
    }

    /** Accumulates problems while walking the tree. */
    private static final class Builder {
        final List<OrgProblem> problems = new ArrayList<>();

        void problem(ErrorCode code, String path, String message, String hint) {
            problems.add(new OrgProblem(code, path, message, hint));
        }

        JsonNode read(String text) {
            if (text == null || text.isBlank()) {
                problem(ErrorCode.ORG_UNREADABLE, "$", "the file is empty", "start with 'company: <id>'");
                return null;
            }
            try {
                JsonNode root = Json.yaml().readTree(text);
                if (root == null || !root.isObject()) {
                    problem(ErrorCode.ORG_UNREADABLE, "$", "the file is not a mapping of keys to values",
                            "start with 'company: <id>'");
                    return null;
                }
                return root;
            } catch (JsonProcessingException e) {
                String where = e.getLocation() == null
                        ? "$"
                        : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
                problem(ErrorCode.ORG_UNREADABLE, where, "not valid YAML or JSON: " + e.getOriginalMessage(), null);
                return null;
            }
        }

        Org build(JsonNode root) {
            unknownKeys(root, "", TOP_KEYS);
            String company = text(root, "company", "", true);
            if (company != null && !Subjects.SAFE_TOKEN.matcher(company).matches()) {
                badId("company", company);
                company = null;
            }
            String companyName = text(root, "name", "", false);

            HubSpec hub = new HubSpec(null);
            JsonNode hubNode = root.get("hub");
            if (hubNode != null && !hubNode.isNull()) {
                if (!hubNode.isObject()) {
                    problem(ErrorCode.ORG_BAD_VALUE, "hub", "must be a mapping", "hub: { url: nats-leaf://host:7422 }");
                } else {
                    unknownKeys(hubNode, "hub.", HUB_KEYS);
                    String url = text(hubNode, "url", "hub.", false);
                    if (url != null) {
                        try {
                            hub = new HubSpec(HubUrl.check(url));
                        } catch (IllegalArgumentException e) {
                            problem(ErrorCode.ORG_BAD_HUB_URL, "hub.url", e.getMessage(), null);
                        }
                    }
                }
            }

            JsonNode companyDefaults = object(root, "defaults", "");
            if (companyDefaults != null) {
                checkLayer(companyDefaults, "defaults.", true);
            }

            Map<String, Team> teams = new LinkedHashMap<>();
            Map<String, JsonNode> teamDefaults = new HashMap<>();
            JsonNode teamsNode = object(root, "teams", "");
            if (teamsNode != null) {
                teamsNode.properties().forEach(e -> {
                    String id = e.getKey();
                    String path = "teams." + id;
                    if (!Subjects.SAFE_TOKEN.matcher(id).matches()) {
                        badId(path, id);
                    } else if (Subjects.RESERVED.contains(id)) {
                        problem(ErrorCode.ORG_RESERVED_WORD, path, "team id '" + id + "' is a reserved subject word",
                                "pick another id; reserved: "
                                        + String.join(", ", new TreeSet<>(Subjects.RESERVED)));
                    }
                    JsonNode t = e.getValue();
                    String name = id;
                    String description = null;
                    if (t != null && !t.isNull()) {
                        if (!t.isObject()) {
                            problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping",
                                    "teams: { eng: { name: Engineering } }");
                        } else {
                            unknownKeys(t, path + ".", TEAM_KEYS);
                            String n = text(t, "name", path + ".", false);
                            name = n != null ? n : id;
                            description = text(t, "description", path + ".", false);
                            JsonNode d = object(t, "defaults", path + ".");
                            if (d != null) {
                                checkLayer(d, path + ".defaults.", true);
                                teamDefaults.put(id, d);
                            }
                        }
                    }
                    teams.put(id, new Team(id, name, description));
                });
            }

            Map<String, String> seenIds = new HashMap<>();
            List<Human> humans = new ArrayList<>();
            JsonNode humansNode = array(root, "humans", "");
            if (humansNode != null) {
                for (int i = 0; i < humansNode.size(); i++) {
                    String path = "humans[" + i + "]";
                    JsonNode h = humansNode.get(i);
                    if (!h.isObject()) {
                        problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping", "- { id: board, name: The Board }");
                        continue;
                    }
                    unknownKeys(h, path + ".", HUMAN_KEYS);
                    String id = memberId(h, path, seenIds);
                    String name = text(h, "name", path + ".", false);
                    String email = text(h, "email", path + ".", false);
                    if (id != null) {
                        humans.add(new Human(id, name != null ? name : id, email));
                    }
                }
            }

            JsonNode agentsNode = array(root, "agents", "");
            List<JsonNode> agentNodes = new ArrayList<>();
            List<String> agentIds = new ArrayList<>();
            if (agentsNode != null) {
                for (int i = 0; i < agentsNode.size(); i++) {
                    String path = "agents[" + i + "]";
                    JsonNode a = agentsNode.get(i);
                    if (!a.isObject()) {
                        problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping",
                                "- { id: cto-athena, role: role-cto, ... }");
                        agentNodes.add(null);
                        agentIds.add(null);
                        continue;
                    }
                    unknownKeys(a, path + ".", AGENT_KEYS);
                    agentNodes.add(a);
                    agentIds.add(memberId(a, path, seenIds));
                    String role = text(a, "role", path + ".", true);
                    if (role != null && !Subjects.SAFE_TOKEN.matcher(role).matches()) {
                        badId(path + ".role", role);
                    }
                    checkLayer(a, path + ".", false);
                }
            }

            // references need every id known first
            Set<String> memberIds = seenIds.keySet();
            Map<String, String> reportsTo = new LinkedHashMap<>();
            for (int i = 0; i < agentNodes.size(); i++) {
                JsonNode a = agentNodes.get(i);
                if (a == null) {
                    continue;
                }
                String path = "agents[" + i + "]";
                String team = text(a, "team", path + ".", true);
                if (team != null && !teams.containsKey(team)) {
                    String hint = Suggest.didYouMean(team, teams.keySet());
                    problem(ErrorCode.ORG_UNKNOWN_TEAM, path + ".team", "unknown team '" + team + "'",
                            hint != null
                                    ? hint
                                    : "define it under teams:" + (teams.isEmpty()
                                            ? ""
                                            : " (known: " + String.join(", ", teams.keySet()) + ")"));
                }
                String manager = text(a, "reports_to", path + ".", false);
                if (manager == null && !a.hasNonNull("reports_to")) {
                    problem(ErrorCode.ORG_MISSING_FIELD, path + ".reports_to", "missing",
                            "every agent reports to a member; at the top of the chain name a human, e.g. reports_to: board");
                } else if (manager != null) {
                    String self = agentIds.get(i);
                    if (manager.equals(self)) {
                        problem(ErrorCode.ORG_REPORTING_CYCLE, path + ".reports_to", "'" + self + "' reports to itself",
                                "name its manager, or a human at the top");
                    } else if (!memberIds.contains(manager)) {
                        String hint = Suggest.didYouMean(manager, memberIds);
                        problem(ErrorCode.ORG_UNKNOWN_MEMBER, path + ".reports_to", "unknown member '" + manager + "'",
                                hint != null ? hint : "name an agent or a human defined in this file");
                    } else if (self != null) {
                        reportsTo.put(self, manager);
                    }
                }
            }
            findCycles(reportsTo, agentIds);
            Set<String> humanIds = new HashSet<>();
            humans.forEach(h -> humanIds.add(h.id()));
            Oversight oversight = oversight(root, humanIds, memberIds, teams.keySet(), agentIds);
            Map<String, RolePolicy> roles = roles(root);
            List<RolePolicy.AskPolicy> agentAsks = new ArrayList<>();
            for (int i = 0; i < agentNodes.size(); i++) {
                JsonNode a = agentNodes.get(i);
                agentAsks.add(a == null ? null : askPolicy(a.get("ask"), "agents[" + i + "].ask."));
            }

            if (!problems.isEmpty() || company == null) {
                return null;
            }

            ObjectNode companyLayer = merge(platformDefaults(), companyDefaults);
            List<Agent> agents = new ArrayList<>();
            for (int i = 0; i < agentNodes.size(); i++) {
                JsonNode a = agentNodes.get(i);
                String team = a.get("team").textValue();
                ObjectNode teamLayer = merge(companyLayer, teamDefaults.get(team));
                ObjectNode own = JsonNodeFactory.instance.objectNode();
                LAYER_KEYS.forEach(k -> {
                    if (a.has(k) && !a.get(k).isNull()) {
                        own.set(k, a.get(k));
                    }
                });
                ObjectNode eff = merge(teamLayer, own);
                String id = agentIds.get(i);
                String name = a.hasNonNull("name") ? a.get("name").textValue() : id;
                agents.add(new Agent(id, name, a.get("role").textValue(), team, a.get("reports_to").textValue(),
                        soul(eff.get("soul")), strings(eff.get("secrets")), strings(eff.get("events")),
                        heartbeat(eff.get("heartbeat")), brain(eff.get("brain")), agentAsks.get(i)));
            }
            return new Org(company, companyName != null ? companyName : company, hub, teams, humans, agents,
                    oversight, roles);
        }

        /** {@code roles:}: per role, which actions its brains may take and how its asks fall back. */
        private Map<String, RolePolicy> roles(JsonNode root) {
            Map<String, RolePolicy> out = new LinkedHashMap<>();
            JsonNode rolesNode = object(root, "roles", "");
            if (rolesNode == null) {
                return out;
            }
            rolesNode.properties().forEach(e -> {
                String path = "roles." + e.getKey();
                if (!Subjects.SAFE_TOKEN.matcher(e.getKey()).matches()) {
                    badId(path, e.getKey());
                    return;
                }
                JsonNode r = e.getValue();
                if (!r.isObject()) {
                    problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping",
                            "role-devops: { actions: { publish: allowed, secret: off } }");
                    return;
                }
                unknownKeys(r, path + ".", ROLE_KEYS);
                Map<ActionKind, RolePolicy.Permission> actions = new LinkedHashMap<>();
                JsonNode an = object(r, "actions", path + ".");
                if (an != null) {
                    an.properties().forEach(x -> {
                        String at = path + ".actions." + x.getKey();
                        Optional<ActionKind> kind = ActionKind.parse(x.getKey());
                        if (kind.isEmpty()) {
                            problem(ErrorCode.ORG_UNKNOWN_FIELD, at, "unknown action '" + x.getKey() + "'",
                                    "one of " + ActionKind.names());
                            return;
                        }
                        JsonNode pv = x.getValue();
                        // YAML 1.1 reads an unquoted off / no as false (on / yes as true): the words meant
                        String v = pv.isTextual()
                                ? pv.textValue()
                                : pv.isBoolean() ? (pv.booleanValue() ? "allowed" : "off") : null;
                        try {
                            actions.put(kind.get(), RolePolicy.Permission.parse(String.valueOf(v)));
                        } catch (IllegalArgumentException ex) {
                            problem(ErrorCode.ORG_BAD_VALUE, at, "unknown permission '" + v + "'",
                                    "one of allowed, approval, off");
                        }
                    });
                }
                out.put(e.getKey(), new RolePolicy(actions, askPolicy(r.get("ask"), path + ".ask.")));
            });
            return out;
        }

        /** An {@code ask:} mapping (of a role or an agent); {@code null} when absent. */
        private RolePolicy.AskPolicy askPolicy(JsonNode n, String prefix) {
            if (n == null || n.isNull()) {
                return null;
            }
            String path = prefix.substring(0, prefix.length() - 1);
            if (!n.isObject()) {
                problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping",
                        "ask: { timeout: 30s, fallback: retry, retries: 2 }");
                return null;
            }
            unknownKeys(n, prefix, ASK_KEYS);
            RolePolicy.AskPolicy d = RolePolicy.AskPolicy.DEFAULT;
            Duration timeout = d.timeout();
            String t = text(n, "timeout", prefix, false);
            if (t != null) {
                try {
                    timeout = Durations.parse(t);
                } catch (IllegalArgumentException e) {
                    problem(ErrorCode.ORG_BAD_DURATION, prefix + "timeout", e.getMessage(), null);
                }
            }
            RolePolicy.AskPolicy.Fallback fallback = d.fallback();
            String f = text(n, "fallback", prefix, false);
            if (f != null) {
                try {
                    fallback = RolePolicy.AskPolicy.Fallback.parse(f);
                } catch (IllegalArgumentException e) {
                    problem(ErrorCode.ORG_BAD_VALUE, prefix + "fallback", "unknown fallback '" + f + "'",
                            "one of none, retry, ask_manager, default");
                }
            }
            int retries = 0;
            JsonNode r = n.get("retries");
            if (r != null && !r.isNull()) {
                if (!r.canConvertToInt() || r.asInt() < 1 || r.asInt() > 10) {
                    problem(ErrorCode.ORG_BAD_VALUE, prefix + "retries", "must be a whole number from 1 to 10",
                            "retries: 2");
                } else {
                    retries = r.asInt();
                }
            }
            if (fallback == RolePolicy.AskPolicy.Fallback.RETRY && retries == 0) {
                retries = 1;
            }
            String answer = text(n, "default_answer", prefix, false);
            if (fallback == RolePolicy.AskPolicy.Fallback.DEFAULT && answer == null) {
                problem(ErrorCode.ORG_MISSING_FIELD, prefix + "default_answer", "missing",
                        "fallback: default needs the answer to give, e.g. default_answer: \"unknown, ask again later\"");
            }
            return new RolePolicy.AskPolicy(timeout, fallback, retries, answer);
        }

        private Oversight oversight(JsonNode root, Set<String> humanIds, Set<String> memberIds, Set<String> teamIds,
                List<String> agentIds) {
            List<ApprovalGate> gates = new ArrayList<>();
            JsonNode gatesNode = array(root, "approvals", "");
            if (gatesNode != null) {
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < gatesNode.size(); i++) {
                    String path = "approvals[" + i + "]";
                    JsonNode g = gatesNode.get(i);
                    if (!g.isObject()) {
                        problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping",
                                "- { id: prod-deploys, match: { type: task }, approvers: [board], timeout: 2h, on_timeout: deny }");
                        continue;
                    }
                    unknownKeys(g, path + ".", GATE_KEYS);
                    String id = text(g, "id", path + ".", true);
                    if (id != null && !Subjects.SAFE_TOKEN.matcher(id).matches()) {
                        badId(path + ".id", id);
                    } else if (id != null && id.startsWith(ActionKind.HOLD_GATE_PREFIX)) {
                        problem(ErrorCode.ORG_BAD_VALUE, path + ".id", "gate ids starting with '"
                                + ActionKind.HOLD_GATE_PREFIX
                                + "' are reserved for actions held by roles.<role>.actions",
                                "pick another id, e.g. prod-deploys");
                    } else if (id != null && !seen.add(id)) {
                        problem(ErrorCode.ORG_DUPLICATE_ID, path + ".id", "duplicate gate id '" + id + "'", null);
                    }
                    ApprovalGate.Match match = match(object(g, "match", path + "."), path + ".match.", memberIds,
                            teamIds);
                    List<String> approvers = new ArrayList<>();
                    JsonNode ap = stringList(g, "approvers", path + ".");
                    if (ap == null || ap.isEmpty()) {
                        problem(ErrorCode.ORG_MISSING_FIELD, path + ".approvers", "missing",
                                "name the humans who decide, e.g. approvers: [board]");
                    } else {
                        for (int j = 0; j < ap.size(); j++) {
                            String h = ap.get(j).textValue();
                            if (!humanIds.contains(h)) {
                                String hint = Suggest.didYouMean(h, humanIds);
                                problem(ErrorCode.ORG_UNKNOWN_MEMBER, path + ".approvers[" + j + "]",
                                        "'" + h + "' is not a human of this org",
                                        hint != null ? hint : "approvers are humans, listed under humans:");
                            } else {
                                approvers.add(h);
                            }
                        }
                    }
                    Duration timeout = null;
                    String t = text(g, "timeout", path + ".", true);
                    if (t != null) {
                        try {
                            timeout = Durations.parse(t);
                        } catch (IllegalArgumentException e) {
                            problem(ErrorCode.ORG_BAD_DURATION, path + ".timeout", e.getMessage(), null);
                        }
                    }
                    ApprovalGate.OnTimeout onTimeout = null;
                    String ot = text(g, "on_timeout", path + ".", true);
                    if (ot != null) {
                        try {
                            onTimeout = ApprovalGate.OnTimeout.parse(ot);
                        } catch (IllegalArgumentException e) {
                            problem(ErrorCode.ORG_BAD_VALUE, path + ".on_timeout", "unknown behaviour '" + ot + "'",
                                    "one of deny, approve, escalate");
                        }
                    }
                    if (id != null && match != null && timeout != null && onTimeout != null && !approvers.isEmpty()) {
                        gates.add(new ApprovalGate(id, match, approvers, timeout, onTimeout));
                    }
                }
            }
            Budget company = Budget.UNLIMITED;
            Map<String, Budget> teams = new LinkedHashMap<>();
            Map<String, Budget> agents = new LinkedHashMap<>();
            long reserve = Oversight.DEFAULT_RESERVE_TOKENS;
            JsonNode b = object(root, "budgets", "");
            if (b != null) {
                unknownKeys(b, "budgets.", BUDGETS_KEYS);
                Budget c = budget(object(b, "company", "budgets."), "budgets.company.");
                if (c != null) {
                    company = c;
                }
                budgetMap(object(b, "teams", "budgets."), "budgets.teams.", teamIds, "team", teams);
                Set<String> known = new LinkedHashSet<>();
                agentIds.stream().filter(Objects::nonNull).forEach(known::add);
                budgetMap(object(b, "agents", "budgets."), "budgets.agents.", known, "agent", agents);
                JsonNode r = b.get("reserve_tokens");
                if (r != null && !r.isNull()) {
                    if (!r.canConvertToLong() || r.asLong() <= 0) {
                        problem(ErrorCode.ORG_BAD_VALUE, "budgets.reserve_tokens", "must be a positive whole number",
                                "reserve_tokens: 2000");
                    } else {
                        reserve = r.asLong();
                    }
                }
            }
            return new Oversight(gates, company, teams, agents, reserve);
        }

        private ApprovalGate.Match match(JsonNode m, String prefix, Set<String> memberIds, Set<String> teamIds) {
            if (m == null) {
                problem(ErrorCode.ORG_MISSING_FIELD, prefix.substring(0, prefix.length() - 1), "missing",
                        "match: { type: task, to: \"role:role-devops\" } (an empty match holds everything)");
                return null;
            }
            unknownKeys(m, prefix, MATCH_KEYS);
            Set<String> from = oneOrMany(m, "from", prefix);
            for (String f : from) {
                if (!memberIds.contains(f)) {
                    String hint = Suggest.didYouMean(f, memberIds);
                    problem(ErrorCode.ORG_UNKNOWN_MEMBER, prefix + "from", "unknown member '" + f + "'", hint);
                }
            }
            Set<String> teams = oneOrMany(m, "team", prefix);
            for (String t : teams) {
                if (!teamIds.contains(t)) {
                    String hint = Suggest.didYouMean(t, teamIds);
                    problem(ErrorCode.ORG_UNKNOWN_TEAM, prefix + "team", "unknown team '" + t + "'", hint);
                }
            }
            Set<String> priorities = oneOrMany(m, "priority", prefix);
            for (String p : priorities) {
                if (!Set.of("low", "normal", "high", "urgent").contains(p)) {
                    problem(ErrorCode.ORG_BAD_VALUE, prefix + "priority", "unknown priority '" + p + "'",
                            "one of low, normal, high, urgent");
                }
            }
            return new ApprovalGate.Match(oneOrMany(m, "type", prefix), from, oneOrMany(m, "to", prefix), priorities,
                    teams);
        }

        private Set<String> oneOrMany(JsonNode node, String field, String prefix) {
            JsonNode v = node.get(field);
            Set<String> out = new LinkedHashSet<>();
            if (v == null || v.isNull()) {
                return out;
            }
            if (v.isTextual()) {
                out.add(v.textValue());
            } else if (v.isArray()) {
                JsonNode list = stringList(node, field, prefix);
                if (list != null) {
                    list.forEach(x -> out.add(x.textValue()));
                }
            } else {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + field, "must be a string or a list of strings", null);
            }
            return out;
        }

        private void budgetMap(JsonNode node, String prefix, Set<String> known, String what, Map<String, Budget> out) {
            if (node == null) {
                return;
            }
            node.properties().forEach(e -> {
                if (!known.contains(e.getKey())) {
                    String hint = Suggest.didYouMean(e.getKey(), known);
                    problem(what.equals("team") ? ErrorCode.ORG_UNKNOWN_TEAM : ErrorCode.ORG_UNKNOWN_MEMBER,
                            prefix + e.getKey(), "unknown " + what + " '" + e.getKey() + "'", hint);
                    return;
                }
                Budget bu = budget(e.getValue().isObject() ? e.getValue() : null, prefix + e.getKey() + ".");
                if (!e.getValue().isObject()) {
                    problem(ErrorCode.ORG_BAD_VALUE, prefix + e.getKey(), "must be a mapping",
                            "{ tokens_per_day: 100000, usd_per_month: 50 }");
                } else if (bu != null) {
                    out.put(e.getKey(), bu);
                }
            });
        }

        private Budget budget(JsonNode node, String prefix) {
            if (node == null) {
                return null;
            }
            unknownKeys(node, prefix, BUDGET_KEYS);
            return new Budget(count(node, "tokens_per_day", prefix), count(node, "tokens_per_month", prefix),
                    usd(node, "usd_per_day", prefix), usd(node, "usd_per_month", prefix));
        }

        private Long count(JsonNode node, String field, String prefix) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.canConvertToExactIntegral() || v.asLong() < 0) {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + field, "must be a whole number of tokens, 0 or more", null);
                return null;
            }
            return v.asLong();
        }

        private Long usd(JsonNode node, String field, String prefix) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isNumber() || v.asDouble() < 0) {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + field, "must be an amount in US dollars, 0 or more",
                        "usd_per_month: 25.50");
                return null;
            }
            return v.decimalValue().movePointRight(6).longValue();
        }

        private String memberId(JsonNode m, String path, Map<String, String> seen) {
            String id = text(m, "id", path + ".", true);
            if (id == null) {
                return null;
            }
            if (!Subjects.SAFE_TOKEN.matcher(id).matches()) {
                badId(path + ".id", id);
                return null;
            }
            if (Subjects.SERVICE_SENDERS.contains(id)) {
                problem(ErrorCode.ORG_RESERVED_WORD, path + ".id", "member id '" + id + "' is the name a service "
                        + "speaks under",
                        "pick another id; reserved: "
                                + String.join(", ", new TreeSet<>(Subjects.SERVICE_SENDERS)));
                return null;
            }
            String previous = seen.putIfAbsent(id, path);
            if (previous != null) {
                problem(ErrorCode.ORG_DUPLICATE_ID, path + ".id", "duplicate id '" + id + "' (also " + previous + ")",
                        "ids are unique across agents and humans");
                return null;
            }
            return id;
        }

        private void findCycles(Map<String, String> reportsTo, List<String> order) {
            Set<String> reported = new HashSet<>();
            for (String start : order) {
                if (start == null) {
                    continue;
                }
                List<String> path = new ArrayList<>();
                Set<String> onPath = new LinkedHashSet<>();
                String cur = start;
                while (cur != null && onPath.add(cur)) {
                    path.add(cur);
                    cur = reportsTo.get(cur);
                }
                if (cur != null) {
                    List<String> cycle = new ArrayList<>(path.subList(path.indexOf(cur), path.size()));
                    String key = new TreeSet<>(cycle).toString();
                    if (reported.add(key)) {
                        cycle.add(cur);
                        int idx = order.indexOf(cycle.getFirst());
                        problem(ErrorCode.ORG_REPORTING_CYCLE, "agents[" + idx + "].reports_to",
                                "reporting cycle " + String.join(" → ", cycle),
                                "someone in the cycle must report to a member outside it, ending at a human");
                    }
                }
            }
        }

        private void checkLayer(JsonNode layer, String prefix, boolean isDefaults) {
            if (isDefaults) {
                unknownKeys(layer, prefix, LAYER_KEYS);
            }
            JsonNode hb = layer.get("heartbeat");
            if (hb != null && !hb.isNull()) {
                checkHeartbeat(hb, prefix + "heartbeat");
            }
            JsonNode brain = layer.get("brain");
            if (brain != null && !brain.isNull()) {
                if (!brain.isObject()) {
                    problem(ErrorCode.ORG_BAD_VALUE, prefix + "brain", "must be a mapping",
                            "brain: { kind: scripted }");
                } else if (brain.has("kind")) {
                    String kind = text(brain, "kind", prefix + "brain.", false);
                    if (kind != null && !BrainSpec.KINDS.contains(kind)) {
                        String hint = Suggest.didYouMean(kind, BrainSpec.KINDS);
                        problem(ErrorCode.ORG_BAD_VALUE, prefix + "brain.kind", "unknown brain kind '" + kind + "'",
                                hint != null
                                        ? hint
                                        : "one of " + String.join(", ", new TreeSet<>(BrainSpec.KINDS)));
                    }
                }
            }
            JsonNode soul = layer.get("soul");
            if (soul != null && !soul.isNull() && !soul.isObject()) {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + "soul", "must be a mapping",
                        "soul: { specialization: ..., personality: ... }");
            }
            JsonNode secrets = stringList(layer, "secrets", prefix);
            if (secrets != null) {
                for (int i = 0; i < secrets.size(); i++) {
                    String s = secrets.get(i).textValue();
                    if (!SECRET_NAME.matcher(s).matches()) {
                        problem(ErrorCode.ORG_BAD_VALUE, prefix + "secrets[" + i + "]",
                                "'" + s + "' is not a secret name",
                                "use an environment variable name such as GITHUB_TOKEN");
                    }
                }
            }
            JsonNode events = stringList(layer, "events", prefix);
            if (events != null) {
                for (int i = 0; i < events.size(); i++) {
                    String e = events.get(i).textValue();
                    if (!validEventPattern(e)) {
                        problem(ErrorCode.ORG_BAD_VALUE, prefix + "events[" + i + "]",
                                "'" + e + "' is not an event pattern",
                                "dot-separated tokens of [a-z0-9-], '*' for one token, '>' at the end for the rest, e.g. security.>");
                    }
                }
            }
        }

        private void checkHeartbeat(JsonNode hb, String path) {
            if (!hb.isObject()) {
                problem(ErrorCode.ORG_BAD_VALUE, path, "must be a mapping", "heartbeat: { every: 10m }");
                return;
            }
            unknownKeys(hb, path + ".", HEARTBEAT_KEYS);
            if (hb.hasNonNull("every") && hb.hasNonNull("cron")) {
                problem(ErrorCode.ORG_BAD_VALUE, path, "sets both 'every' and 'cron'", "keep one of them");
            }
            String every = text(hb, "every", path + ".", false);
            if (every != null) {
                try {
                    Durations.parse(every);
                } catch (IllegalArgumentException e) {
                    problem(ErrorCode.ORG_BAD_DURATION, path + ".every", e.getMessage(), null);
                }
            }
            String cron = text(hb, "cron", path + ".", false);
            if (cron != null) {
                try {
                    Crons.parse(cron);
                } catch (IllegalArgumentException e) {
                    problem(ErrorCode.ORG_BAD_CRON, path + ".cron", e.getMessage(),
                            "5 fields (minute hour day month weekday, e.g. '0 9 * * 1-5') or 6 with seconds first");
                }
            }
            String tz = text(hb, "tz", path + ".", false);
            if (tz != null) {
                try {
                    ZoneId.of(tz);
                } catch (DateTimeException e) {
                    String hint = Suggest.didYouMean(tz, ZoneId.getAvailableZoneIds());
                    problem(ErrorCode.ORG_BAD_TIME_ZONE, path + ".tz", "unknown time zone '" + tz + "'",
                            hint != null ? hint : "use an IANA zone id such as America/New_York or UTC");
                }
            }
            String hours = text(hb, "active_hours", path + ".", false);
            if (hours != null) {
                try {
                    ActiveHours.parse(hours);
                } catch (IllegalArgumentException e) {
                    problem(ErrorCode.ORG_BAD_VALUE, path + ".active_hours", e.getMessage(), "e.g. 06:00-22:00");
                }
            }
            JsonNode enabled = hb.get("enabled");
            if (enabled != null && !enabled.isBoolean()) {
                problem(ErrorCode.ORG_BAD_VALUE, path + ".enabled", "must be true or false", null);
            }
            text(hb, "prompt", path + ".", false);
        }

        private static boolean validEventPattern(String p) {
            String[] tokens = p.split("\\.", -1);
            for (int i = 0; i < tokens.length; i++) {
                String t = tokens[i];
                boolean last = i == tokens.length - 1;
                if (!(t.equals("*") || (t.equals(">") && last) || Subjects.SAFE_TOKEN.matcher(t).matches())) {
                    return false;
                }
            }
            return true;
        }

        private void unknownKeys(JsonNode node, String prefix, Set<String> allowed) {
            node.fieldNames().forEachRemaining(k -> {
                if (!allowed.contains(k)) {
                    String hint = Suggest.didYouMean(k, allowed);
                    problem(ErrorCode.ORG_UNKNOWN_FIELD, prefix + k, "unknown field",
                            hint != null
                                    ? hint
                                    : "known fields: " + String.join(", ", new TreeSet<>(allowed)));
                }
            });
        }

        private void badId(String path, String id) {
            String fixed = id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+", "");
            problem(ErrorCode.ORG_BAD_ID, path, "'" + id + "' is not a safe NATS token",
                    "use lower-case letters, digits and dashes (no dots, spaces, '*' or '>')"
                            + (fixed.isEmpty() || fixed.equals(id) ? "" : ", e.g. '" + fixed + "'"));
        }

        private String text(JsonNode node, String field, String prefix, boolean required) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                if (required) {
                    problem(ErrorCode.ORG_MISSING_FIELD, prefix + field, "missing", null);
                }
                return null;
            }
            if (!v.isTextual()) {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + field,
                        "must be a string, got " + v.getNodeType().name().toLowerCase(),
                        "quote it: " + field + ": \"" + v.asText() + "\"");
                return null;
            }
            if (required && v.textValue().isBlank()) {
                problem(ErrorCode.ORG_MISSING_FIELD, prefix + field, "is empty", null);
                return null;
            }
            return v.textValue();
        }

        private JsonNode object(JsonNode node, String field, String prefix) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + field,
                        "must be a mapping, got " + v.getNodeType().name().toLowerCase(), null);
                return null;
            }
            return v;
        }

        private JsonNode array(JsonNode node, String field, String prefix) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isArray()) {
                problem(ErrorCode.ORG_BAD_VALUE, prefix + field,
                        "must be a list, got " + v.getNodeType().name().toLowerCase(), null);
                return null;
            }
            return v;
        }

        private JsonNode stringList(JsonNode node, String field, String prefix) {
            JsonNode v = array(node, field, prefix);
            if (v == null) {
                return null;
            }
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    problem(ErrorCode.ORG_BAD_VALUE, prefix + field + "[" + i + "]", "must be a string", null);
                    return null;
                }
            }
            return v;
        }

        private static Map<String, Object> soul(JsonNode n) {
            Map<String, Object> out = new LinkedHashMap<>();
            if (n != null && n.isObject()) {
                n.properties().forEach(e -> {
                    if (!e.getValue().isNull()) {
                        out.put(e.getKey(), e.getValue().isValueNode()
                                ? e.getValue().asText()
                                : Json.mapper().convertValue(e.getValue(), Object.class));
                    }
                });
            }
            return out;
        }

        private static List<String> strings(JsonNode n) {
            List<String> out = new ArrayList<>();
            if (n != null && n.isArray()) {
                n.forEach(x -> out.add(x.textValue()));
            }
            return out;
        }

        private static HeartbeatSpec heartbeat(JsonNode hb) {
            boolean enabled = !hb.has("enabled") || hb.get("enabled").asBoolean(true);
            Duration every = hb.hasNonNull("every") ? Durations.parse(hb.get("every").textValue()) : null;
            String cron = hb.hasNonNull("cron") ? hb.get("cron").textValue().trim() : null;
            ActiveHours hours = hb.hasNonNull("active_hours")
                    ? ActiveHours.parse(hb.get("active_hours").textValue())
                    : null;
            ZoneId tz = ZoneId.of(hb.hasNonNull("tz") ? hb.get("tz").textValue() : "UTC");
            String prompt = hb.hasNonNull("prompt") ? hb.get("prompt").textValue() : HeartbeatSpec.DEFAULT_PROMPT;
            return new HeartbeatSpec(enabled, every, cron, hours, tz, prompt);
        }

        private static BrainSpec brain(JsonNode b) {
            Map<String, Object> settings = new LinkedHashMap<>();
            b.properties().forEach(e -> {
                if (!e.getKey().equals("kind") && !e.getValue().isNull()) {
                    settings.put(e.getKey(), Json.mapper().convertValue(e.getValue(), Object.class));
                }
            });
            // A layer that sets `brain: null` replaces the platform's brain, kind included: the default kind applies.
            JsonNode kind = b.get("kind");
            return new BrainSpec(kind != null && kind.isTextual()
                    ? kind.textValue()
                    : platformDefaults().path("brain").path("kind").textValue(), settings);
        }
    }
}
