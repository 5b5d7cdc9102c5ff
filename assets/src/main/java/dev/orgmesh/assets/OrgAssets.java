package dev.orgmesh.assets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.Source;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * The JetStream assets an org needs (docs/architecture.md, "JetStream assets of a company"), computed from the org
 * alone so every process agrees on them: streams, the durable consumers of every member and role, and the KV buckets.
 * {@link AssetApplier} makes a server match them. See {@code docs/adr/0007-audit-stores-first.md} for why the audit
 * stream stores DMs, tasks and holds and the inbox, task and hold streams are work queues sourced from it.
 *
 * @param streams stream configurations by name, in creation order (the audit before the work queues it feeds)
 * @param consumers durable consumer configurations by stream name
 * @param buckets KV bucket configurations by name
 */
public record OrgAssets(Map<String, StreamConfiguration> streams, Map<String, List<ConsumerConfiguration>> consumers,
        Map<String, KeyValueConfiguration> buckets) {
    /** Room on every stream for consumers that are not the org's durables; see {@link #consumerLimit(int)}. */
    static final int AD_HOC_CONSUMERS = 1000;
    /** How long the vault bridge's used nonces are kept: twice the longest clock skew a bridge may allow. */
    public static final Duration NONCE_MAX_AGE = Duration.ofMinutes(10);

    /** The assets of {@code org} under {@code limits}. */
    public static OrgAssets of(Org org, AssetLimits limits) {
        Subjects s = org.subjects();
        Map<String, StreamConfiguration> streams = new LinkedHashMap<>();
        Map<String, List<ConsumerConfiguration>> consumers = new LinkedHashMap<>();

        List<String> channelSubjects = new ArrayList<>();
        channelSubjects.add(s.allChannel());
        org.teams().keySet().forEach(t -> channelSubjects.add(s.teamChannel(t)));
        streams.put(s.channelsStream(), stream(s.channelsStream(), "company and team channels", channelSubjects,
                RetentionPolicy.Limits, limits.channelMaxAge(), limits).build());
        streams.put(s.eventsStream(), stream(s.eventsStream(), "organizational events, replayable",
                List.of(s.eventsAll()), RetentionPolicy.Limits, limits.eventsMaxAge(), limits).build());
        streams.put(s.heartbeatStream(), stream(s.heartbeatStream(), "heartbeat ticks: at most one pending per agent",
                List.of(s.heartbeatAll()), RetentionPolicy.Limits, limits.channelMaxAge(), limits)
                .maxMessagesPerSubject(1)
                .build());
        streams.put(s.dlqStream(), stream(s.dlqStream(), "dead letters with their reason",
                List.of(s.dlqAll()), RetentionPolicy.Limits, limits.dlqMaxAge(), limits).build());
        // the audit stores DMs, tasks and holds first (ADR 0007): a publish is acknowledged by a limits stream, which
        // never drops a message for want of a consumer; the work queues below source them from it
        streams.put(s.auditStream(), StreamConfiguration.builder()
                .name(s.auditStream())
                .description("immutable history of everything said in the org; stores DMs, tasks and holds first")
                .subjects(s.dmAll(), s.tasksAll(), s.humanHoldAll())
                .sources(List.of(s.channelsStream(), s.eventsStream(), s.dlqStream())
                        .stream()
                        .map(n -> Source.builder().name(n).build())
                        .toList())
                .retentionPolicy(RetentionPolicy.Limits)
                .discardPolicy(DiscardPolicy.Old)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .maxAge(limits.auditMaxAge())
                .maxMsgSize(limits.maxMsgSize())
                .duplicateWindow(limits.duplicateWindow())
                .denyDelete(true)
                .denyPurge(true)
                .build());
        streams.put(s.inboxStream(), workQueue(s.inboxStream(), "direct messages: one durable inbox per member",
                s.auditStream(), s.dmAll(), limits));
        streams.put(s.tasksStream(), workQueue(s.tasksStream(), "task queues: one shared durable per role",
                s.auditStream(), s.tasksAll(), limits));
        streams.put(s.holdsStream(), workQueue(s.holdsStream(),
                "messages held by approval gates, for the approval desk", s.auditStream(), s.humanHoldAll(), limits));

        for (Member m : org.members()) {
            add(consumers, s.inboxStream(),
                    durable(Subjects.inboxConsumer(m.id()), s.inbox(m.id()), DeliverPolicy.All, limits));
        }
        for (Agent a : org.agents()) {
            add(consumers, s.channelsStream(),
                    durable(Subjects.allConsumer(a.id()), s.allChannel(), DeliverPolicy.New, limits));
            add(consumers, s.channelsStream(),
                    durable(Subjects.teamConsumer(a.id()), s.teamChannel(a.team()), DeliverPolicy.New, limits));
            add(consumers, s.heartbeatStream(),
                    durable(Subjects.heartbeatConsumer(a.id()), s.heartbeat(a.id()), DeliverPolicy.All, limits));
            for (String pattern : a.events()) {
                add(consumers, s.eventsStream(),
                        durable(Subjects.eventsConsumer(a.id(), pattern), s.eventsMatching(pattern),
                                DeliverPolicy.New, limits));
            }
        }
        add(consumers, s.holdsStream(),
                durable(Subjects.approvalDeskConsumer(), s.humanHoldAll(), DeliverPolicy.All, limits));
        for (String role : org.roles()) {
            add(consumers, s.tasksStream(),
                    durable(Subjects.tasksConsumer(role), s.taskQueue(role), DeliverPolicy.All, limits));
        }

        // nats-server 2.15 caps a stream at 1,000 consumers unless the stream sets its own limit; an org's durables
        // grow with its members (two per agent on the channels), so each stream says how many it needs.
        streams.replaceAll((name, cfg) -> StreamConfiguration.builder(cfg)
                .maxConsumers(consumerLimit(consumers.getOrDefault(name, List.of()).size()))
                .build());

        Map<String, KeyValueConfiguration> buckets = new LinkedHashMap<>();
        buckets.put(s.presenceBucket(), KeyValueConfiguration.builder()
                .name(s.presenceBucket())
                .description("presence beacons, key = member id")
                .maxHistoryPerKey(1)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        buckets.put(s.orgBucket(), KeyValueConfiguration.builder()
                .name(s.orgBucket())
                .description("the org file; services watch key 'org'")
                .maxHistoryPerKey(10)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        buckets.put(s.approvalsBucket(), KeyValueConfiguration.builder()
                .name(s.approvalsBucket())
                .description("held messages and their decisions, key = approval id; written by the approval desk")
                .maxHistoryPerKey(5)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        buckets.put(s.budgetsBucket(), KeyValueConfiguration.builder()
                .name(s.budgetsBucket())
                .description("budget limits (limit.*) and spend counters (spend.*), reserved by compare-and-set")
                .maxHistoryPerKey(1)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        buckets.put(s.handledBucket(), KeyValueConfiguration.builder()
                .name(s.handledBucket())
                .description("handled messages, key agent.{agent}.{id} or role.{role}.{id}, created by runtimes before"
                        + " they ack; expire after " + limits.handledMaxAge())
                .maxHistoryPerKey(1)
                .ttl(limits.handledMaxAge())
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        buckets.put(s.escalationsBucket(), KeyValueConfiguration.builder()
                .name(s.escalationsBucket())
                .description("open deadlines and escalation ladders, key {agent}.{task id}; stepped by compare-and-set,"
                        + " deleted once answered")
                .maxHistoryPerKey(1)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        buckets.put(s.noncesBucket(), KeyValueConfiguration.builder()
                .name(s.noncesBucket())
                .description("vault request nonces already used, key {agent}.{nonce hash}; expire after "
                        + NONCE_MAX_AGE + " (the bridge's clock skew must stay under half of it)")
                .maxHistoryPerKey(1)
                .ttl(NONCE_MAX_AGE)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .build());
        return new OrgAssets(streams, consumers, buckets);
    }

    /**
     * A stream's consumer limit: its durables plus {@value #AD_HOC_CONSUMERS} for consumers that come and go (the
     * console's and {@code orgmesh tail}'s ordered consumers, {@code orgmesh audit}), rounded up to a thousand so
     * that adding a few members does not change every stream. Never below nats-server 2.15's default of 1,000.
     */
    static int consumerLimit(int durables) {
        int needed = durables + AD_HOC_CONSUMERS;
        return (needed + 999) / 1000 * 1000;
    }

    /**
     * A work queue: no subjects of its own, the messages of {@code filter} sourced from {@code origin} (which stored
     * them first and acknowledged their publishers), each removed once its one consumer acks it.
     */
    private static StreamConfiguration workQueue(String name, String description, String origin, String filter,
            AssetLimits limits) {
        return StreamConfiguration.builder()
                .name(name)
                .description(description)
                .sources(Source.builder().name(origin).filterSubject(filter).build())
                .retentionPolicy(RetentionPolicy.WorkQueue)
                .discardPolicy(DiscardPolicy.Old)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .maxAge(limits.inboxMaxAge())
                .maxMsgSize(limits.maxMsgSize())
                .duplicateWindow(limits.duplicateWindow())
                .build();
    }

    private static StreamConfiguration.Builder stream(String name, String description, List<String> subjects,
            RetentionPolicy retention, Duration maxAge, AssetLimits limits) {
        return StreamConfiguration.builder()
                .name(name)
                .description(description)
                .subjects(subjects)
                .retentionPolicy(retention)
                .discardPolicy(DiscardPolicy.Old)
                .storageType(limits.storage())
                .replicas(limits.replicas())
                .maxAge(maxAge)
                .maxMsgSize(limits.maxMsgSize())
                .duplicateWindow(limits.duplicateWindow());
    }

    private static ConsumerConfiguration durable(String name, String filter, DeliverPolicy deliver,
            AssetLimits limits) {
        return ConsumerConfiguration.builder()
                .durable(name)
                .filterSubject(filter)
                .deliverPolicy(deliver)
                .ackPolicy(AckPolicy.Explicit)
                .ackWait(limits.ackWait())
                .maxDeliver(limits.maxDeliver())
                .maxAckPending(limits.maxAckPending())
                .build();
    }

    private static void add(Map<String, List<ConsumerConfiguration>> map, String stream, ConsumerConfiguration cc) {
        map.computeIfAbsent(stream, k -> new ArrayList<>()).add(cc);
    }
}
