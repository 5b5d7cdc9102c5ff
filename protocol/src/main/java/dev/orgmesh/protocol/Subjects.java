package dev.orgmesh.protocol;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Every subject, stream, consumer and bucket name of one company, built in one place (DESIGN §3).
 *
 * <p>Subjects follow the seed's {@code {company}.{scope}} convention so any NATS client can join:
 * {@code komodo-ai.all}, {@code komodo-ai.exec}, {@code komodo-ai.dm.ceo-genesis}. Stream and bucket names are
 * prefixed with the company so several companies can share an account in tests without colliding; consumer names
 * are derived from the member or role they serve, so {@code apply} can find them again.
 */
public final class Subjects {
    /** A safe NATS token for ids: lower-case letters, digits and dashes, not starting with a dash. */
    public static final Pattern SAFE_TOKEN = Pattern.compile("[a-z0-9][a-z0-9-]*");

    /** Second tokens that orgmesh itself uses; a team may not be named after one. */
    public static final java.util.Set<String> RESERVED = java.util.Set.of("all", "dm", "tasks", "events",
            "heartbeat", "presence", "vault", "org", "dlq", "human", "ask", "audit");

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

    /** {@code {co}.all}: company-wide broadcast. */
    public String all() {
        return company + ".all";
    }

    /** {@code {co}.{team}}: a team channel. */
    public String team(String team) {
        return company + "." + token(team);
    }

    /** {@code {co}.dm.{member}}: direct message to one agent or human. */
    public String dm(String member) {
        return company + ".dm." + token(member);
    }

    /** {@code {co}.dm.*}: every DM of the company (the inbox stream's subject). */
    public String dmAll() {
        return company + ".dm.*";
    }

    /** {@code {co}.tasks.{role}}: the task queue of a role group. */
    public String tasks(String role) {
        return company + ".tasks." + token(role);
    }

    /** {@code {co}.tasks.*}: every task queue. */
    public String tasksAll() {
        return company + ".tasks.*";
    }

    /** {@code {co}.events.{type}}: an organizational event; {@code type} may have several dot-separated tokens. */
    public String events(String type) {
        return company + ".events." + type;
    }

    /** {@code {co}.events.>}: every event. */
    public String eventsAll() {
        return company + ".events.>";
    }

    /** {@code {co}.ask.{agent}}: request/reply to an agent. */
    public String ask(String agent) {
        return company + ".ask." + token(agent);
    }

    /** {@code {co}.heartbeat.{agent}}: heartbeat tick for one agent. */
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

    /** {@code {co}.dlq.{source}}: dead letters from one source (usually a stream name in lower case). */
    public String dlq(String source) {
        return company + ".dlq." + token(source);
    }

    /** {@code {co}.dlq.*}: every dead letter. */
    public String dlqAll() {
        return company + ".dlq.*";
    }

    /** {@code {co}.human.hold}: a runtime asks the approval desk to hold a gated message (JetStream, de-duplicated). */
    public String humanHold() {
        return company + ".human.hold";
    }

    /** {@code {co}.human.approve}: a human approves a held message (request/reply to the approval desk). */
    public String humanApprove() {
        return company + ".human.approve";
    }

    /** {@code {co}.human.deny}: a human denies a held message (request/reply to the approval desk). */
    public String humanDeny() {
        return company + ".human.deny";
    }

    /** {@code {co}.human.budget}: a human sets a budget limit (request/reply to the budget desk). */
    public String humanBudget() {
        return company + ".human.budget";
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

    /** Stream of hold requests on {@code {co}.human.hold}: work-queue retention, consumed by the approval desk. */
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
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(messageId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return scope + ".=" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
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

    /** Throws when {@code t} is not a safe single subject token. */
    public static String token(String t) {
        if (t == null || !SAFE_TOKEN.matcher(t).matches()) {
            throw new IllegalArgumentException("'" + t + "' is not a safe NATS subject token [a-z0-9][a-z0-9-]*");
        }
        return t;
    }
}
