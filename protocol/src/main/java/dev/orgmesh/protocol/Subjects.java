package dev.orgmesh.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every subject, stream, consumer and bucket name of one company, built in one place (docs/architecture.md lists
 * the streams and buckets).
 *
 * <p>Subjects follow the seed's {@code {company}.{scope}} convention so any NATS client can join:
 * {@code komodo-ai.all}, {@code komodo-ai.exec}, {@code komodo-ai.dm.ceo-genesis}. Stream and bucket names are
 * prefixed with the company so several companies can share an account in tests without colliding; consumer names
 * are derived from the member or role they serve, so {@code apply} can find them again.
 */
public final class Subjects {
    /** A safe NATS token for ids: lower-case letters, digits and dashes, not starting with a dash. */
    public static final Pattern SAFE_TOKEN = Pattern.compile("[a-z0-9][a-z0-9-]*");

    /** A single-token wildcard, accepted by the attributed builders in place of an id (permissions, filters). */
    public static final String ANY = "*";

    /** Second tokens that orgmesh itself uses; a team may not be named after one. */
    public static final Set<String> RESERVED = Set.of("all", "dm", "tasks", "events", "event", "budget",
            "heartbeat", "presence", "vault", "org", "dlq", "human", "ask", "audit");

    /**
     * The names the services speak under in an attributed subject's sender token (ADR 0010); no member may take one.
     * The operator speaks as whoever it names ({@code orgmesh send --from}), so it has no sender name of its own here.
     */
    public static final Set<String> SERVICE_SENDERS = Set.of("hub-bootstrap", "heartbeat", "vault-bridge", "console",
            "operator");
    /** The heartbeat service's sender name: on its ticks (which only it may publish), events and DMs. */
    public static final String HEARTBEAT_SENDER = "heartbeat";
    /** hub-bootstrap's sender name: the approval desk's and dead-letter desk's own events and DMs. */
    public static final String HUB_SENDER = "hub-bootstrap";
    /** The operator's name where it acts as itself (a budget change, a decision without a human named). */
    public static final String OPERATOR = "operator";
    /** The vault bridge's sender name: its events. */
    public static final String VAULT_SENDER = "vault-bridge";

    /** A message id that can be a handled-record key token as it is. */
    private static final Pattern SAFE_KEY_TOKEN = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    private final String company;
    /** {@code OM_{COMPANY}_}, computed once: stream names are asked for on every message. */
    private final String assetPrefix;

    private Subjects(String company) {
        this.company = Objects.requireNonNull(company, "company");
        if (!SAFE_TOKEN.matcher(company).matches()) {
            throw new IllegalArgumentException(
                    "company id '" + company + "' is not a safe NATS token [a-z0-9][a-z0-9-]*");
        }
        this.assetPrefix = "OM_" + company.toUpperCase(Locale.ROOT).replace('-', '_') + "_";
    }

    /** The names of one company. */
    public static Subjects of(String company) {
        return new Subjects(company);
    }

    public String company() {
        return company;
    }

    // ---- subjects ----------------------------------------------------------------------------------------------
    //
    // Two forms (docs/adr/0010-the-true-sender.md). The *contract* subjects are the seed's, what people type:
    // {co}.dm.{to}, {co}.all, {co}.{team}, {co}.tasks.{role}, {co}.events.{type}, {co}.ask.{to}, {co}.human.hold.
    // The *attributed* subjects are what the hub carries and stores: the contract subject with the real sender added
    // ({co}.dm.{to}.{from}, …; events {co}.event.{from}.{type}). A member's permissions allow only its own id in the
    // sender token, and an agent's leaf maps the contract subjects its local clients publish to the attributed ones,
    // so the sender token is always the real sender. Streams, consumers and subscriptions use the attributed forms.

    /** {@code {co}.all}: company-wide broadcast (contract form). */
    public String all() {
        return company + ".all";
    }

    /** {@code {co}.all.{from}}: a company-wide broadcast as carried, said by {@code from}. */
    public String all(String from) {
        return all() + "." + idOrAny(from);
    }

    /** {@code {co}.all.*}: the company channel, whoever said it. */
    public String allChannel() {
        return all() + ".*";
    }

    /** {@code {co}.{team}}: a team channel (contract form). */
    public String team(String team) {
        return company + "." + token(team);
    }

    /** {@code {co}.{team}.{from}}: a team channel message as carried, said by {@code from}. */
    public String team(String team, String from) {
        return team(team) + "." + idOrAny(from);
    }

    /** {@code {co}.{team}.*}: one team channel, whoever said it. */
    public String teamChannel(String team) {
        return team(team) + ".*";
    }

    /** {@code {co}.dm.{member}}: direct message to one agent or human (contract form). */
    public String dm(String member) {
        return company + ".dm." + token(member);
    }

    /** {@code {co}.dm.{to}.{from}}: a direct message as carried, sent by {@code from}. */
    public String dm(String to, String from) {
        return company + ".dm." + idOrAny(to) + "." + idOrAny(from);
    }

    /** {@code {co}.dm.{member}.*}: one member's inbox, whoever sent to it. */
    public String inbox(String member) {
        return dm(member) + ".*";
    }

    /** {@code {co}.dm.*.*}: every DM of the company (the inbox stream's subject). */
    public String dmAll() {
        return company + ".dm.*.*";
    }

    /** {@code {co}.tasks.{role}}: the task queue of a role group (contract form). */
    public String tasks(String role) {
        return company + ".tasks." + token(role);
    }

    /** {@code {co}.tasks.{role}.{from}}: a task as carried, posted by {@code from}. */
    public String tasks(String role, String from) {
        return company + ".tasks." + idOrAny(role) + "." + idOrAny(from);
    }

    /** {@code {co}.tasks.{role}.*}: one role's queue, whoever posted to it. */
    public String taskQueue(String role) {
        return tasks(role) + ".*";
    }

    /** {@code {co}.tasks.*.*}: every task queue. */
    public String tasksAll() {
        return company + ".tasks.*.*";
    }

    /**
     * {@code {co}.events.{type}}: an organizational event (contract form); {@code type} may have several dot-separated
     * tokens.
     */
    public String events(String type) {
        return company + ".events." + type;
    }

    /**
     * {@code {co}.event.{from}.{type}}: an event as carried, raised by {@code from}. The sender comes first under a root
     * of its own: a leaf maps {@code {co}.events.>}, so no carried event may match that (ADR 0010).
     */
    public String event(String from, String type) {
        return company + ".event." + idOrAny(from) + "." + type;
    }

    /** {@code {co}.event.*.{pattern}}: the events of a pattern ({@code security.>}), whoever raised them. */
    public String eventsMatching(String pattern) {
        return company + ".event.*." + pattern;
    }

    /** {@code {co}.event.>}: every event. */
    public String eventsAll() {
        return company + ".event.>";
    }

    /** {@code {co}.ask.{agent}}: request/reply to an agent (contract form). */
    public String ask(String agent) {
        return company + ".ask." + token(agent);
    }

    /** {@code {co}.ask.{to}.{from}}: a question as carried, asked by {@code from}. */
    public String ask(String to, String from) {
        return company + ".ask." + idOrAny(to) + "." + idOrAny(from);
    }

    /** {@code {co}.ask.{agent}.*}: every question to one agent. */
    public String askTo(String agent) {
        return ask(agent) + ".*";
    }

    /** {@code {co}.heartbeat.{agent}}: heartbeat tick for one agent; only the heartbeat service may publish it. */
    public String heartbeat(String agent) {
        return company + ".heartbeat." + token(agent);
    }

    /** {@code {co}.heartbeat.*}: every heartbeat tick. */
    public String heartbeatAll() {
        return company + ".heartbeat.*";
    }

    /** {@code {co}.presence.{agent}}: liveness beacon; also the key in the presence bucket is the agent id. */
    public String presence(String agent) {
        return company + ".presence." + token(agent);
    }

    /** {@code {co}.vault.{agent}.get}: an agent's secret request. */
    public String vaultGet(String agent) {
        return company + ".vault." + token(agent) + ".get";
    }

    /** {@code {co}.org.{endpoint}}: the directory service. */
    public String org(String endpoint) {
        return company + ".org." + endpoint;
    }

    /** {@code {co}.org.>}: every directory endpoint. */
    public String orgAll() {
        return company + ".org.>";
    }

    /** {@code {co}.dlq.{source}}: dead letters from one source (contract form; usually a stream name in lower case). */
    public String dlq(String source) {
        return company + ".dlq." + token(source);
    }

    /** {@code {co}.dlq.{source}.{from}}: a dead letter as carried, filed by {@code from}. */
    public String dlq(String source, String from) {
        return company + ".dlq." + idOrAny(source) + "." + idOrAny(from);
    }

    /** {@code {co}.dlq.*.*}: every dead letter. */
    public String dlqAll() {
        return company + ".dlq.*.*";
    }

    /** {@code {co}.human.hold}: a runtime asks the approval desk to hold a gated message (contract form). */
    public String humanHold() {
        return company + ".human.hold";
    }

    /** {@code {co}.human.hold.{from}}: a hold request as carried, from the agent whose message is held. */
    public String humanHold(String from) {
        return humanHold() + "." + idOrAny(from);
    }

    /** {@code {co}.human.hold.*}: every hold request (the holds stream's subject). */
    public String humanHoldAll() {
        return humanHold() + ".*";
    }

    /** {@code {co}.human.approve}: a human approves a held message (contract form). */
    public String humanApprove() {
        return company + ".human.approve";
    }

    /** {@code {co}.human.approve.{human}}: an approval as carried, by {@code human} (request/reply to the desk). */
    public String humanApprove(String human) {
        return humanApprove() + "." + idOrAny(human);
    }

    /** {@code {co}.human.deny}: a human denies a held message (contract form). */
    public String humanDeny() {
        return company + ".human.deny";
    }

    /** {@code {co}.human.deny.{human}}: a denial as carried, by {@code human}. */
    public String humanDeny(String human) {
        return humanDeny() + "." + idOrAny(human);
    }

    /** {@code {co}.human.budget}: a human sets a budget limit (contract form). */
    public String humanBudget() {
        return company + ".human.budget";
    }

    /** {@code {co}.human.budget.{human}}: a budget change as carried, by {@code human}. */
    public String humanBudget(String human) {
        return humanBudget() + "." + idOrAny(human);
    }

    /**
     * {@code {co}.budget.reserve.{agent}}: an agent's runtime asks the budget desk to reserve tokens before a model
     * call (request/reply, {@link BudgetWire}); only that agent may publish it.
     */
    public String budgetReserve(String agent) {
        return company + ".budget.reserve." + idOrAny(agent);
    }

    /** {@code {co}.budget.settle.{agent}}: settles a reservation to what the call spent. */
    public String budgetSettle(String agent) {
        return company + ".budget.settle." + idOrAny(agent);
    }

    // ---- attribution -------------------------------------------------------------------------------------------

    /**
     * A carried subject read back: the contract subject it stands for and its real sender.
     *
     * @param contract the subject as people type it ({@code komodo-ai.dm.cto-athena})
     * @param sender the id in the sender token, which the hub allowed only its owner to publish
     */
    public record Attribution(String contract, String sender) {
    }

    /**
     * The contract subject and sender of an attributed subject of this company; empty for any other subject (a
     * contract subject, a heartbeat, another company's, a malformed one).
     */
    public Optional<Attribution> attribution(String subject) {
        if (subject == null || !subject.startsWith(company + ".")) {
            return Optional.empty();
        }
        String[] t = subject.substring(company.length() + 1).split("\\.", -1);
        for (String token : t) {
            if (token.isEmpty()) {
                return Optional.empty();
            }
        }
        String sender;
        String contract;
        switch (t[0]) {
            case "dm", "tasks", "ask", "dlq" -> {
                if (t.length != 3) {
                    return Optional.empty();
                }
                sender = t[2];
                contract = company + "." + t[0] + "." + t[1];
            }
            case "event" -> {
                if (t.length < 3) {
                    return Optional.empty();
                }
                sender = t[1];
                contract = company + ".events." + String.join(".", Arrays.copyOfRange(t, 2, t.length));
            }
            case "human" -> {
                if (t.length != 3 || !Set.of("hold", "approve", "deny", "budget").contains(t[1])) {
                    return Optional.empty();
                }
                sender = t[2];
                contract = company + ".human." + t[1];
            }
            case "budget" -> {
                if (t.length != 3 || !Set.of("reserve", "settle").contains(t[1])) {
                    return Optional.empty();
                }
                sender = t[2];
                contract = company + ".budget." + t[1];
            }
            default -> {
                if (t.length != 2 || (RESERVED.contains(t[0]) && !t[0].equals("all"))) {
                    return Optional.empty();
                }
                sender = t[1];
                contract = company + "." + t[0];
            }
        }
        if (!SAFE_TOKEN.matcher(sender).matches()) {
            return Optional.empty();
        }
        return Optional.of(new Attribution(contract, sender));
    }

    /**
     * The attributed form of a contract subject of this company, said by {@code sender}: what the sender's leaf turns
     * it into. Throws when {@code contract} is not a contract subject that carries a sender.
     */
    public String attribute(String contract, String sender) {
        token(sender);
        String prefix = company + ".";
        if (contract != null && contract.startsWith(prefix + "events.") && contract.length() > prefix.length() + 7) {
            return event(sender, contract.substring(prefix.length() + 7));
        }
        String attributed = contract + "." + sender;
        Optional<Attribution> a = attribution(attributed);
        if (a.isEmpty() || !a.get().contract().equals(contract) || contract.startsWith(prefix + "event.")) {
            throw new IllegalArgumentException("'" + contract + "' is not a contract subject of " + company
                    + " that carries a sender");
        }
        return attributed;
    }

    /**
     * The mappings an agent's leaf applies to what its local clients publish (ADR 0010): every contract subject to its
     * attributed form with the agent as sender, in nats-server's {@code mappings} syntax (source → destination). The
     * attributed forms differ from every source in token count or root, so no mapping applies to a message twice or to
     * one arriving from the hub.
     */
    public Map<String, String> leafMappings(String agent) {
        String a = token(agent);
        Map<String, String> m = new LinkedHashMap<>();
        m.put(company + ".*", company + ".{{wildcard(1)}}." + a);
        m.put(company + ".dm.*", company + ".dm.{{wildcard(1)}}." + a);
        m.put(company + ".tasks.*", company + ".tasks.{{wildcard(1)}}." + a);
        m.put(company + ".ask.*", company + ".ask.{{wildcard(1)}}." + a);
        m.put(company + ".dlq.*", company + ".dlq.{{wildcard(1)}}." + a);
        m.put(company + ".events.>", company + ".event." + a + ".>");
        m.put(humanHold(), humanHold(a));
        return m;
    }

    // ---- JetStream names ---------------------------------------------------------------------------------------

    /** The prefix of every stream and bucket name of this company ({@code OM_KOMODO_AI_}). */
    public String assetPrefix() {
        return assetPrefix;
    }

    /** Stream of {@code {co}.all} and every team channel; limits retention, one consumer per agent and channel. */
    public String channelsStream() {
        return assetPrefix() + "CHANNELS";
    }

    /** Stream of every DM: work-queue retention, one consumer per member (non-overlapping filters). */
    public String inboxStream() {
        return assetPrefix() + "INBOX";
    }

    /** Stream of every task queue: work-queue retention, one shared consumer per role. */
    public String tasksStream() {
        return assetPrefix() + "TASKS";
    }

    /** Stream of events, time-based retention, replayable. */
    public String eventsStream() {
        return assetPrefix() + "EVENTS";
    }

    /** Stream of heartbeat ticks, one message per subject kept (ticks coalesce). */
    public String heartbeatStream() {
        return assetPrefix() + "HEARTBEAT";
    }

    /** Stream of dead letters, long retention. */
    public String dlqStream() {
        return assetPrefix() + "DLQ";
    }

    /** The audit stream: sources every other stream, immutable history. */
    public String auditStream() {
        return assetPrefix() + "AUDIT";
    }

    /** KV bucket of presence beacons, key = member id. */
    public String presenceBucket() {
        return assetPrefix() + "PRESENCE";
    }

    /** KV bucket holding the org (key {@code org}) so services can watch it change. */
    public String orgBucket() {
        return assetPrefix() + "ORG";
    }

    /** Stream of hold requests on {@code {co}.human.hold.*}: work-queue retention, consumed by the approval desk. */
    public String holdsStream() {
        return assetPrefix() + "HOLDS";
    }

    /** KV bucket of approvals (held messages and their decisions), key = approval id. */
    public String approvalsBucket() {
        return assetPrefix() + "APPROVALS";
    }

    /**
     * KV bucket of budgets: {@code limit.{scope}.{id}} (set by humans) and {@code spend.{scope}.{id}.{period}}
     * (reserved and settled by runtimes with compare-and-set); scope is agent, line, team or company.
     */
    public String budgetsBucket() {
        return assetPrefix() + "BUDGETS";
    }

    /**
     * The prefix of the spend counters of one budget scope in {@link #budgetsBucket}, {@code spend.{kind}.{id}}; a
     * counter's key adds its period ({@code .d20260405}, {@code .m202604}).
     */
    public static String spendScope(String kind, String id) {
        return "spend." + token(kind) + "." + token(id);
    }

    /**
     * KV bucket of handled messages (docs/reliability.md): key {@link #handledKey} → who handled the message and when.
     * A runtime creates the key once everything the message caused is stored and before it acks, and looks it up
     * before a message reaches the brain, so a message whose ack was lost is not handed to a second brain. Entries
     * expire (the bucket's max age), they are not deleted.
     */
    public String handledBucket() {
        return assetPrefix() + "HANDLED";
    }

    /**
     * The handled-record scope of what an agent receives for itself (its DMs, channels, events, heartbeat ticks):
     * {@code agent.{agent}}. Each receiver of a channel message handles it once, so each has its own scope.
     */
    public static String handledAgentScope(String agent) {
        return "agent." + token(agent);
    }

    /**
     * The handled-record scope of a role's shared task queue, {@code role.{role}}: any agent of the role may take a
     * task, and once one of them completed it no other should.
     */
    public static String handledRoleScope(String role) {
        return "role." + token(role);
    }

    /**
     * The key of message {@code messageId} in the handled bucket: {@code {scope}.{id}}. The id is used as it is when it
     * is a safe key token (ULIDs, {@code s-{stream}-{seq}}, ids such as {@code task-17}: letters, digits, {@code -},
     * {@code _}, at most 128 characters); any other id is replaced by {@code =} and the base64url SHA-256 of its
     * UTF-8 bytes, which no id used as it is can look like.
     */
    public static String handledKey(String scope, String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        if (SAFE_KEY_TOKEN.matcher(messageId).matches()) {
            return scope + "." + messageId;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(messageId.getBytes(StandardCharsets.UTF_8));
            return scope + ".=" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * KV bucket of open deadlines and escalations (agent-runtime/README.md, "Escalation and loop guards"): key
     * {@link #escalationKey} → the state of one escalation ladder (the task, its current step, who was told, when the
     * next step is due). The agent that sent the task (or whose brain escalated) creates the key, moves it one step up
     * with compare-and-set before it sends that step, and deletes it once answered; an agent may touch only keys
     * under its own id.
     */
    public String escalationsBucket() {
        return assetPrefix() + "ESCALATIONS";
    }

    /**
     * The key of agent {@code agent}'s escalation ladder about message {@code messageId}: {@code {agent}.{id}}, the id
     * used as it is or hashed as in {@link #handledKey}.
     */
    public static String escalationKey(String agent, String messageId) {
        return handledKey(token(agent), messageId);
    }

    /**
     * KV bucket of the vault bridge's used request nonces (key {@code {agent}.{nonce hash}}), shared by every bridge
     * instance and kept across restarts; entries expire (the bucket's max age), so it holds one replay window.
     */
    public String noncesBucket() {
        return assetPrefix() + "NONCES";
    }

    /** Object store bucket for artifacts. */
    public String artifactBucket() {
        return assetPrefix() + "ARTIFACTS";
    }

    /** Durable consumer of a member's DM inbox. */
    public static String inboxConsumer(String member) {
        return "dm-" + token(member);
    }

    /** Durable consumer of {@code {co}.all} for one agent. */
    public static String allConsumer(String agent) {
        return "all-" + token(agent);
    }

    /** Durable consumer of an agent's team channel. */
    public static String teamConsumer(String agent) {
        return "team-" + token(agent);
    }

    /** The one shared durable consumer of a role's task queue. */
    public static String tasksConsumer(String role) {
        return "tasks-" + token(role);
    }

    /** The approval desk's durable consumer of the holds stream. */
    public static String approvalDeskConsumer() {
        return "approval-desk";
    }

    /** Durable consumer of an agent's heartbeat ticks. */
    public static String heartbeatConsumer(String agent) {
        return "hb-" + token(agent);
    }

    /**
     * Durable consumer of one event pattern an agent follows. The pattern is folded into the name ({@code security.>}
     * becomes {@code ev-cto-athena-security-gt}) so the name is stable across applies.
     */
    public static String eventsConsumer(String agent, String pattern) {
        String folded = pattern.replace(".", "-").replace("*", "star").replace(">", "gt");
        return "ev-" + token(agent) + "-" + folded;
    }

    /** {@link #token}, or {@link #ANY}. */
    private static String idOrAny(String t) {
        return ANY.equals(t) ? t : token(t);
    }

    /** Throws when {@code t} is not a safe single subject token. */
    public static String token(String t) {
        if (t == null || !SAFE_TOKEN.matcher(t).matches()) {
            throw new IllegalArgumentException("'" + t + "' is not a safe NATS subject token [a-z0-9][a-z0-9-]*");
        }
        return t;
    }
}
