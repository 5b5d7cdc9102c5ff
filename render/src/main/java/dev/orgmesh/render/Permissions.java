package dev.orgmesh.render;

import java.util.ArrayList;
import java.util.List;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.ActionKind;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.RolePolicy;

/**
 * Derives every user's NATS permissions from the org (docs/architecture.md, "Who may hear and say what"). This is the
 * one place that decides who may say and hear what; {@code hub.conf} renders its output verbatim and a security-matrix
 * test can enumerate it.
 *
 * <p>An agent may subscribe to its own DM, its team, {@code {co}.all}, its role's tasks, its chosen events, its
 * heartbeat and its ask subject, and publish to channels, DMs, tasks, events, asks, the directory, dead letters,
 * its own presence key and its own vault subject. For JetStream it may read (next, info, ack) only its own durable
 * consumers, publish to its own presence key, read and create keys of the handled record in its own and its role's
 * scope, and read, write and list its own keys of the escalations bucket. Stream and consumer management is not
 * granted.
 *
 * <p>Replies: agents and humans receive replies only on their private inbox prefix ({@link #inboxPrefix}), so one
 * agent cannot read the replies (directory answers, sealed secrets, publish acks) meant for another. Clients must
 * set {@code Options.Builder.inboxPrefix(Permissions.inboxPrefix(id))}. Replying to someone else's request is a
 * publish to their inbox, so {@code _INBOX.>} is publishable.
 *
 * <p>JetStream API subjects are granted in both forms: {@code $JS.API.…} (direct clients without a domain, and the
 * subject the hub checks after mapping a domain request) and {@code $JS.hub.API.…} (what a leaf checks before
 * forwarding a request made with JetStream domain {@code hub}). Verified against nats-server 2.15.3.
 */
public final class Permissions {
    /** The JetStream domain of the hub; clients on leaves use it to reach the hub's streams. */
    public static final String JS_DOMAIN = "hub";

    private static final String API = "$JS.API.";
    private static final String DOMAIN_API = "$JS." + JS_DOMAIN + ".API.";
    private static final String ALL_INBOXES = "_INBOX.>";

    private Permissions() {
    }

    /**
     * The inbox prefix a member's clients must use ({@code _INBOX.<id>}); jnats adds the dot. Only replies under it
     * reach the member.
     */
    public static String inboxPrefix(String memberId) {
        return "_INBOX." + Subjects.token(memberId);
    }

    /** A JetStream durable consumer, named by its stream and consumer name. */
    public record ConsumerRef(String stream, String consumer) {
    }

    /** The durable consumers an agent reads; {@code apply} creates them with these names. */
    public static List<ConsumerRef> consumersOf(Org org, Agent agent) {
        Subjects s = org.subjects();
        List<ConsumerRef> refs = new ArrayList<>();
        refs.add(new ConsumerRef(s.inboxStream(), Subjects.inboxConsumer(agent.id())));
        refs.add(new ConsumerRef(s.channelsStream(), Subjects.allConsumer(agent.id())));
        refs.add(new ConsumerRef(s.channelsStream(), Subjects.teamConsumer(agent.id())));
        refs.add(new ConsumerRef(s.tasksStream(), Subjects.tasksConsumer(agent.role())));
        for (String pattern : agent.events()) {
            refs.add(new ConsumerRef(s.eventsStream(), Subjects.eventsConsumer(agent.id(), pattern)));
        }
        refs.add(new ConsumerRef(s.heartbeatStream(), Subjects.heartbeatConsumer(agent.id())));
        return refs;
    }

    /** An agent's permissions. */
    public static UserPermissions forAgent(Org org, Agent agent) {
        return forAgent(org, agent, org.policy(agent.role()));
    }

    /** An agent's permissions were its role's actions {@code policy} (the approval desk's check of a held action). */
    public static UserPermissions forAgent(Org org, Agent agent, RolePolicy policy) {
        Subjects s = org.subjects();
        String co = s.company();
        String id = agent.id();
        UserPermissions.Builder b = new UserPermissions.Builder();

        b.subscribe(s.inbox(id), s.teamChannel(agent.team()), s.allChannel(), s.taskQueue(agent.role()));
        for (String pattern : agent.events()) {
            b.subscribe(s.eventsMatching(pattern));
        }
        b.subscribe(s.heartbeat(id), s.askTo(id), inboxPrefix(id) + ".>");
        if (!agent.secrets().isEmpty()) {
            // rotation notices carry names only; the runtime refetches its values from the bridge
            b.subscribe(s.event(Subjects.VAULT_SENDER, "secret.rotated"));
        }

        speakAs(b, org, id, policy);
        b.publish(s.dlq(Subjects.ANY, id), s.presence(id), s.vaultGet(id), s.orgAll(), ALL_INBOXES);

        List<ConsumerRef> consumers = consumersOf(org, agent);
        consumers.stream().map(ConsumerRef::stream).distinct().forEach(stream -> streamInfo(b, stream));
        for (ConsumerRef ref : consumers) {
            consumerAccess(b, ref);
        }
        jsAccountInfo(b);
        presenceKey(b, s, id);
        artifacts(b, s);
        oversight(b, org, agent);
        handledRecord(b, s, agent);
        escalations(b, s, agent);
        return b.build();
    }

    /** A human member's permissions: oversight of every channel, their own DM inbox, no secrets. */
    public static UserPermissions forHuman(Org org, Human human) {
        Subjects s = org.subjects();
        String co = s.company();
        String id = human.id();
        UserPermissions.Builder b = new UserPermissions.Builder();

        b.subscribe(s.inbox(id), s.allChannel());
        for (String team : org.teams().keySet()) {
            b.subscribe(s.teamChannel(team));
        }
        b.subscribe(s.eventsAll(), s.dlqAll(), inboxPrefix(id) + ".>");

        speakAs(b, org, id);
        b.publish(s.orgAll(), ALL_INBOXES);
        // humans decide on held messages and set budgets, each under its own name; the desk checks that the name in
        // the subject is among the gate's approvers
        b.publish(s.humanApprove(id), s.humanDeny(id), s.humanBudget(id));
        kvRead(b, s.approvalsBucket());
        kvRead(b, s.budgetsBucket());

        streamInfo(b, s.inboxStream());
        consumerAccess(b, new ConsumerRef(s.inboxStream(), Subjects.inboxConsumer(id)));
        jsAccountInfo(b);
        return b.build();
    }

    /** A service's permissions inside one company's account. */
    public static UserPermissions forService(Org org, HubService service) {
        Subjects s = org.subjects();
        String co = s.company();
        UserPermissions.Builder b = new UserPermissions.Builder();
        switch (service) {
            case OPERATOR -> {
                return UserPermissions.unrestricted();
            }
            case HEARTBEAT -> {
                String me = service.id();
                b.subscribe(ALL_INBOXES);
                b.publish(s.heartbeatAll(), s.event(me, ">"), s.dm(Subjects.ANY, me), ALL_INBOXES);
                jsRead(b);
            }
            case VAULT_BRIDGE -> {
                b.subscribe(co + ".vault.*.get", ALL_INBOXES);
                b.publish(s.event(service.id(), ">"), ALL_INBOXES);
                jsRead(b);
                // used request nonces, claimed create-only (ReplayGuard's ledger); direct and domain forms
                String nonces = s.noncesBucket();
                b.publish("$KV." + nonces + ".>", DOMAIN_API + "$KV." + nonces + ".>");
            }
            case HUB_BOOTSTRAP -> {
                b.subscribe(s.orgAll(), "$SRV.>", "$JS.EVENT.ADVISORY.>", ALL_INBOXES, s.humanApprove(Subjects.ANY),
                        s.humanDeny(Subjects.ANY), s.humanBudget(Subjects.ANY), s.budgetReserve(Subjects.ANY),
                        s.budgetSettle(Subjects.ANY));
                String me = service.id();
                b.publish(s.event(me, ">"), s.dlq(Subjects.ANY, me), s.dm(Subjects.ANY, me), ALL_INBOXES);
                // the approval desk releases a held message to where it was going, under its sender's name, after
                // checking that the hold came from that sender (ApprovalDesk); events too, for a role whose publish
                // action needs approval
                b.publish(s.dmAll(), s.allChannel(), s.tasksAll(), s.eventsAll());
                for (String team : org.teams().keySet()) {
                    b.publish(s.teamChannel(team));
                }
                b.publish("$KV." + s.approvalsBucket() + ".>", "$KV." + s.budgetsBucket() + ".>");
                // It owns the JetStream assets: create and update streams, consumers and buckets (apply).
                b.publish(API + ">", DOMAIN_API + ">", "$KV." + s.orgBucket() + ".>", "$JS.ACK.>", "$JS.FC.>");
            }
        }
        return b.build();
    }

    /**
     * What a member may say, each only under its own name (ADR 0010): DMs, the company and every team channel, tasks,
     * events and asks with {@code id} in the sender token.
     */
    private static void speakAs(UserPermissions.Builder b, Org org, String id) {
        speakAs(b, org, id, RolePolicy.DEFAULT_HUMAN);
    }

    /**
     * As {@link #speakAs(UserPermissions.Builder, Org, String)}, within the actions the member's role may take
     * ({@code roles.<role>.actions}): a role whose {@code publish} or {@code enqueue} is not {@code allowed} (off, or
     * only with approval, which the approval desk releases) cannot publish events or post tasks with its own
     * credentials either, so a runtime run with stolen credentials gets no further than its brain would. The events its
     * runtime raises about itself ({@code action.refused}, {@code budget.exhausted}) stay allowed. A DM cannot be
     * withheld this way: replies are DMs.
     */
    private static void speakAs(UserPermissions.Builder b, Org org, String id, RolePolicy policy) {
        Subjects s = org.subjects();
        b.publish(s.dm(Subjects.ANY, id), s.all(id), s.ask(Subjects.ANY, id));
        if (policy.permission(ActionKind.ENQUEUE) == RolePolicy.Permission.ALLOWED) {
            b.publish(s.tasks(Subjects.ANY, id));
        }
        if (policy.permission(ActionKind.PUBLISH) == RolePolicy.Permission.ALLOWED) {
            b.publish(s.event(id, ">"));
        } else {
            b.publish(s.event(id, "action.refused"), s.event(id, "budget.exhausted"));
        }
        for (String team : org.teams().keySet()) {
            b.publish(s.team(team, id));
        }
    }

    private static void streamInfo(UserPermissions.Builder b, String stream) {
        b.publish(API + "STREAM.INFO." + stream, DOMAIN_API + "STREAM.INFO." + stream);
    }

    private static void consumerAccess(UserPermissions.Builder b, ConsumerRef ref) {
        String sc = ref.stream() + "." + ref.consumer();
        b.publish(API + "CONSUMER.MSG.NEXT." + sc, DOMAIN_API + "CONSUMER.MSG.NEXT." + sc);
        b.publish(API + "CONSUMER.INFO." + sc, DOMAIN_API + "CONSUMER.INFO." + sc);
        // Acks go to the delivered message's reply subject: $JS.ACK.<stream>.<consumer>.… (2.9), or the newer
        // $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.… form.
        b.publish("$JS.ACK." + sc + ".>", "$JS.ACK.*.*." + sc + ".>");
        // no advisories: a member dead-letters what fails on its last delivery itself, and what no member answered
        // is moved by hub-bootstrap's dead-letter desk
    }

    private static void jsAccountInfo(UserPermissions.Builder b) {
        b.publish(API + "INFO", DOMAIN_API + "INFO");
    }

    private static void presenceKey(UserPermissions.Builder b, Subjects s, String id) {
        String bucket = s.presenceBucket();
        streamInfo(b, "KV_" + bucket);
        // jnats writes a key through a domain as $JS.hub.API.$KV.<bucket>.<key>; the hub maps it to $KV.….
        b.publish("$KV." + bucket + "." + id, DOMAIN_API + "$KV." + bucket + "." + id);
    }

    /**
     * The artifact object store ({@code OM_{CO}_ARTIFACTS}): put and get objects. A put of an existing name purges
     * its old chunks, so purge of that one stream is granted too; nothing else of JetStream management is.
     */
    private static void artifacts(UserPermissions.Builder b, Subjects s) {
        String bucket = s.artifactBucket();
        String stream = "OBJ_" + bucket;
        b.publish("$O." + bucket + ".>", "$JS.FC.>");
        for (String prefix : List.of(API, DOMAIN_API)) {
            b.publish(prefix + "STREAM.INFO." + stream, prefix + "STREAM.MSG.GET." + stream,
                    prefix + "DIRECT.GET." + stream,
                    prefix + "DIRECT.GET." + stream + ".>", prefix + "CONSUMER.CREATE." + stream,
                    prefix + "CONSUMER.CREATE." + stream + ".>", prefix + "CONSUMER.DELETE." + stream + ".>",
                    prefix + "CONSUMER.INFO." + stream + ".>", prefix + "STREAM.PURGE." + stream);
        }
        // jnats publishes object chunks through the domain's API prefix from a leaf, as it does KV puts
        b.publish(DOMAIN_API + "$O." + bucket + ".>");
    }

    /**
     * Approval gates and budgets (docs/oversight.md): an agent asks the desk to hold a gated message, reads approval
     * records (to check that a released message was really approved) and asks the budget desk, under its own name, to
     * reserve and settle budget for its model calls. It writes neither approvals nor budget limits nor spend counters:
     * only the desks do, so it cannot rewrite the counters that limit it.
     */
    private static void oversight(UserPermissions.Builder b, Org org, Agent agent) {
        Subjects s = org.subjects();
        b.publish(s.humanHold(agent.id()), s.budgetReserve(agent.id()), s.budgetSettle(agent.id()));
        kvRead(b, s.approvalsBucket());
    }

    /**
     * The handled record ({@code OM_{CO}_HANDLED}, docs/reliability.md): an agent reads and creates keys in its own
     * scopes only — {@code agent.{id}.>} for what it receives itself and {@code role.{role}.>} for its role's shared
     * task queue — so it cannot mark another agent's or another role's messages as handled. Reads go through the
     * direct API by key (jnats reads a KV key with {@code DIRECT.GET.<stream>.<subject>}, the bucket allows direct
     * gets), which is what makes them restrictable per key; the stream's info is read to open the bucket.
     */
    private static void handledRecord(UserPermissions.Builder b, Subjects s, Agent agent) {
        String bucket = s.handledBucket();
        String stream = "KV_" + bucket;
        streamInfo(b, stream);
        for (String scope : List.of(Subjects.handledAgentScope(agent.id()), Subjects.handledRoleScope(agent.role()))) {
            String keys = "$KV." + bucket + "." + scope + ".>";
            b.publish(keys, DOMAIN_API + keys);
            for (String prefix : List.of(API, DOMAIN_API)) {
                b.publish(prefix + "DIRECT.GET." + stream + "." + keys);
            }
        }
    }

    /**
     * The escalations bucket ({@code OM_{CO}_ESCALATIONS}, agent-runtime/README.md "Escalation and loop guards"): an
     * agent reads, writes (compare-and-set) and deletes keys under its own id only, {@code {id}.>}, so it cannot move or
     * settle another agent's escalation. On start it lists its own keys with an ordered consumer filtered to them:
     * jnats names the filter in the create subject ({@code CONSUMER.CREATE.<stream>.<name>.<filter>}) and the server
     * refuses a create whose configured filter differs, so the grant stops at its own keys; the consumer pushes to the
     * agent's own inbox prefix. jnats reads the listing consumer's info by name first, so consumer info on this one
     * bucket is granted (a consumer's info holds its configuration and counts, no values).
     */
    private static void escalations(UserPermissions.Builder b, Subjects s, Agent agent) {
        String bucket = s.escalationsBucket();
        String stream = "KV_" + bucket;
        streamInfo(b, stream);
        String keys = "$KV." + bucket + "." + Subjects.token(agent.id()) + ".>";
        b.publish(keys, DOMAIN_API + keys);
        for (String prefix : List.of(API, DOMAIN_API)) {
            b.publish(prefix + "DIRECT.GET." + stream + "." + keys,
                    prefix + "CONSUMER.CREATE." + stream + ".*." + keys, prefix + "CONSUMER.INFO." + stream + ".*");
        }
    }

    /** Reading a KV bucket's keys (get, through the stream or the direct API), not writing them. */
    private static void kvRead(UserPermissions.Builder b, String bucket) {
        String stream = "KV_" + bucket;
        for (String prefix : List.of(API, DOMAIN_API)) {
            b.publish(prefix + "STREAM.INFO." + stream, prefix + "STREAM.MSG.GET." + stream,
                    prefix + "DIRECT.GET." + stream, prefix + "DIRECT.GET." + stream + ".>");
        }
    }

    /** What a service needs to read streams and buckets and run its own (ephemeral or durable) consumers. */
    private static void jsRead(UserPermissions.Builder b) {
        for (String prefix : List.of(API, DOMAIN_API)) {
            b.publish(prefix + "INFO", prefix + "STREAM.INFO.>", prefix + "STREAM.NAMES", prefix + "STREAM.LIST",
                    prefix + "STREAM.MSG.GET.>", prefix + "DIRECT.GET.>", prefix + "CONSUMER.>");
        }
        b.publish("$JS.ACK.>", "$JS.FC.>");
    }
}
