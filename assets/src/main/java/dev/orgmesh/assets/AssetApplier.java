package dev.orgmesh.assets;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;

import org.jboss.logging.Logger;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.Source;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamState;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Makes a JetStream server match {@link OrgAssets}, idempotently: {@link #plan} compares what exists with what the
 * org needs (only the settings orgmesh manages), {@link #apply} carries a plan out. Assets that the org no longer
 * needs are removed only when asked ({@code prune}); otherwise they are listed and kept, so removing an agent from
 * the org file never silently deletes its unread inbox.
 */
public final class AssetApplier {
    private static final Logger LOG = Logger.getLogger(AssetApplier.class);
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int CONSUMER_NOT_FOUND = 10014;

    private final JetStreamManagement jsm;
    private final KeyValueManagement kvm;
    private final String prefix;

    /**
     * @param prefix the company's asset name prefix ({@code OM_KOMODO_AI_}); only assets with it are ever removed
     */
    public AssetApplier(JetStreamManagement jsm, KeyValueManagement kvm, String prefix) {
        this.jsm = jsm;
        this.kvm = kvm;
        this.prefix = prefix;
    }

    /** What {@link #apply} would change. Reads only. */
    public AssetPlan plan(OrgAssets desired) {
        try {
            List<AssetChange> changes = new ArrayList<>();
            Set<String> existingStreams = new HashSet<>(jsm.getStreamNames());
            for (StreamConfiguration want : desired.streams().values()) {
                if (!existingStreams.contains(want.getName())) {
                    changes.add(
                            new AssetChange(AssetChange.Action.CREATE, AssetChange.Kind.STREAM, want.getName(), null));
                } else {
                    String diff = streamDiff(jsm.getStreamInfo(want.getName()).getConfiguration(), want);
                    if (!diff.isEmpty()) {
                        changes.add(new AssetChange(AssetChange.Action.UPDATE, AssetChange.Kind.STREAM, want.getName(),
                                diff));
                    }
                }
            }
            Set<String> existingBuckets = new HashSet<>(kvm.getBucketNames());
            for (KeyValueConfiguration want : desired.buckets().values()) {
                if (!existingBuckets.contains(want.getBucketName())) {
                    changes.add(new AssetChange(AssetChange.Action.CREATE, AssetChange.Kind.BUCKET,
                            want.getBucketName(), null));
                } else {
                    KeyValueStatus have = kvm.getStatus(want.getBucketName());
                    StringJoiner d = new StringJoiner(", ");
                    if (have.getMaxHistoryPerKey() != want.getMaxHistoryPerKey()) {
                        d.add("history " + have.getMaxHistoryPerKey() + " → " + want.getMaxHistoryPerKey());
                    }
                    diff(d, "ttl", have.getTtl(), want.getTtl());
                    if (d.length() > 0) {
                        changes.add(new AssetChange(AssetChange.Action.UPDATE, AssetChange.Kind.BUCKET,
                                want.getBucketName(), d.toString()));
                    }
                }
            }
            for (Map.Entry<String, List<ConsumerConfiguration>> e : desired.consumers().entrySet()) {
                String stream = e.getKey();
                Set<String> wanted = new HashSet<>();
                Map<String, ConsumerInfo> have = new HashMap<>();
                if (existingStreams.contains(stream)) {
                    for (ConsumerInfo ci : jsm.getConsumers(stream)) {
                        have.put(ci.getName(), ci);
                    }
                }
                for (ConsumerConfiguration cc : e.getValue()) {
                    wanted.add(cc.getDurable());
                    ConsumerInfo ci = have.get(cc.getDurable());
                    String name = stream + "/" + cc.getDurable();
                    if (ci == null) {
                        changes.add(new AssetChange(AssetChange.Action.CREATE, AssetChange.Kind.CONSUMER, name,
                                cc.getFilterSubject()));
                    } else {
                        String diff = consumerDiff(ci.getConsumerConfiguration(), cc);
                        if (!diff.isEmpty()) {
                            changes.add(
                                    new AssetChange(AssetChange.Action.UPDATE, AssetChange.Kind.CONSUMER, name, diff));
                        }
                    }
                }
                have.keySet().stream().filter(n -> !wanted.contains(n)).sorted().forEach(n -> changes.add(
                        new AssetChange(AssetChange.Action.KEEP_EXTRA, AssetChange.Kind.CONSUMER, stream + "/" + n,
                                "not in the org")));
            }
            // consumers of our streams that have no desired consumers at all
            for (String stream : desired.streams().keySet()) {
                if (existingStreams.contains(stream) && !desired.consumers().containsKey(stream)) {
                    for (String n : jsm.getConsumerNames(stream)) {
                        changes.add(new AssetChange(AssetChange.Action.KEEP_EXTRA, AssetChange.Kind.CONSUMER,
                                stream + "/" + n, "not in the org"));
                    }
                }
            }
            for (String s : existingStreams) {
                if (s.startsWith(prefix) && !desired.streams().containsKey(s)) {
                    changes.add(new AssetChange(AssetChange.Action.KEEP_EXTRA, AssetChange.Kind.STREAM, s,
                            "not in the org"));
                }
            }
            return new AssetPlan(changes);
        } catch (IOException | JetStreamApiException e) {
            throw new OrgmeshException(ErrorCode.APPLY_FAILED,
                    "cannot read the server's JetStream assets: " + e.getMessage(), e);
        }
    }

    /**
     * Carries out {@code plan}. With {@code prune} the assets no longer in the org are deleted; without it they are
     * kept. Returns the plan with extras turned into removals when pruned.
     */
    public AssetPlan apply(OrgAssets desired, AssetPlan plan, boolean prune) {
        List<String> impossible = plan.changes().stream()
                .filter(c -> c.kind() == AssetChange.Kind.STREAM && c.action() == AssetChange.Action.UPDATE
                        && c.detail() != null && (c.detail().contains("retention ") || c.detail().contains("storage ")))
                .map(c -> c.name() + " (" + c.detail() + ")").toList();
        if (!impossible.isEmpty()) {
            // JetStream cannot change these in place: say what to do before changing anything
            throw new OrgmeshException(ErrorCode.APPLY_FAILED, "JetStream cannot change the retention or storage of an"
                    + " existing stream: " + String.join("; ", impossible) + ". Nothing was changed. Let the"
                    + " consumers drain those streams (the audit keeps their history), delete them (nats stream rm"
                    + " NAME) and apply again (docs/adr/0007-audit-stores-first.md).");
        }
        List<AssetChange> done = new ArrayList<>();
        for (AssetChange c : plan.changes()) {
            try {
                switch (c.action()) {
                    case CREATE, UPDATE -> {
                        createPlaced(desired, c);
                        done.add(c);
                    }
                    case KEEP_EXTRA -> {
                        if (prune) {
                            remove(c);
                            done.add(new AssetChange(AssetChange.Action.REMOVE, c.kind(), c.name(), c.detail()));
                        } else {
                            done.add(c);
                        }
                    }
                    case REMOVE -> {
                        remove(c);
                        done.add(c);
                    }
                }
                LOG.debugf("applied %s", c);
            } catch (IOException | JetStreamApiException e) {
                throw new OrgmeshException(ErrorCode.APPLY_FAILED, "cannot " + c.action().name().toLowerCase() + " "
                        + c.kind().name().toLowerCase() + " " + c.name() + ": " + e.getMessage(), e);
            }
        }
        return new AssetPlan(done);
    }

    /**
     * {@link #create}, asked again while a clustered hub cannot place the replicas yet ({@code no suitable peers for
     * placement}, {@code peer offline}, JetStream temporarily unavailable: a node just started or restarted and is not
     * current), for at most {@link #PLACEMENT_PATIENCE}; any other refusal fails at once.
     */
    private void createPlaced(OrgAssets desired, AssetChange c) throws IOException, JetStreamApiException {
        long deadline = System.nanoTime() + PLACEMENT_PATIENCE.toNanos();
        Duration pause = Duration.ofMillis(100);
        while (true) {
            try {
                create(desired, c);
                return;
            } catch (JetStreamApiException e) {
                if (!placementPending(e) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                LOG.infof("%s %s: the hub cannot place its replicas yet (%s); asking again in %d ms", c.kind(),
                        c.name(), e.getMessage(), pause.toMillis());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(2)) > 0
                        ? Duration.ofSeconds(2)
                        : pause.multipliedBy(2);
            }
        }
    }

    /** How long a create waits for a clustered hub to place its replicas. */
    static final Duration PLACEMENT_PATIENCE = Duration.ofSeconds(30);

    /** JetStream API errors that a cluster whose peers are catching up answers, and that go away by themselves. */
    static boolean placementPending(JetStreamApiException e) {
        // 10005: no suitable peers for placement (a peer offline or not current); 10008: JetStream temporarily
        // unavailable (no meta leader yet)
        return e.getApiErrorCode() == 10005 || e.getApiErrorCode() == 10008;
    }

    private void create(OrgAssets desired, AssetChange c) throws IOException, JetStreamApiException {
        switch (c.kind()) {
            case STREAM -> {
                StreamConfiguration sc = desired.streams().get(c.name());
                if (c.action() == AssetChange.Action.CREATE) {
                    jsm.addStream(fromNowOn(sc));
                } else {
                    jsm.updateStream(sc);
                }
            }
            case BUCKET -> {
                KeyValueConfiguration kc = desired.buckets().get(c.name());
                if (c.action() == AssetChange.Action.CREATE) {
                    kvm.create(kc);
                } else {
                    kvm.update(kc);
                }
            }
            case CONSUMER -> {
                String[] parts = c.name().split("/", 2);
                ConsumerConfiguration cc = desired.consumers().get(parts[0]).stream()
                        .filter(x -> x.getDurable().equals(parts[1]))
                        .findFirst()
                        .orElseThrow();
                jsm.addOrUpdateConsumer(parts[0], cc);
            }
        }
    }

    /**
     * A new stream that sources filtered parts of a stream which already holds messages (a work queue created next to
     * an audit with history — after {@code nats stream rm} of an old layout, or of a queue being reset) starts after
     * the origin's last message: a new queue must not hand a year of already-handled DMs and tasks to the brains again.
     * On a fresh hub the origin is empty and the queue takes everything.
     */
    private StreamConfiguration fromNowOn(StreamConfiguration sc) throws IOException, JetStreamApiException {
        if (sc.getSources().isEmpty()
                || sc.getSources().stream().allMatch(src -> src.getFilterSubject() == null)) {
            return sc;
        }
        List<Source> sources = new ArrayList<>();
        for (Source src : sc.getSources()) {
            Source started = src;
            if (src.getFilterSubject() != null && src.getStartTime() == null && src.getStartSeq() == 0) {
                try {
                    StreamState origin = jsm.getStreamInfo(src.getName()).getStreamState();
                    if (origin.getMsgCount() > 0 && origin.getLastTime() != null) {
                        started = Source.builder(src).startTime(origin.getLastTime().plusNanos(1)).build();
                        LOG.infof("stream %s sources %s (%s) from after its last message (%d, %s): what it held"
                                + " before is history, not work", sc.getName(), src.getName(), src.getFilterSubject(),
                                origin.getLastSequence(), origin.getLastTime());
                    }
                } catch (JetStreamApiException e) {
                    if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                        throw e;
                    }
                }
            }
            sources.add(started);
        }
        return StreamConfiguration.builder(sc).sources(sources).build();
    }

    private void remove(AssetChange c) throws IOException, JetStreamApiException {
        try {
            switch (c.kind()) {
                case STREAM -> jsm.deleteStream(c.name());
                case BUCKET -> kvm.delete(c.name());
                case CONSUMER -> {
                    String[] parts = c.name().split("/", 2);
                    jsm.deleteConsumer(parts[0], parts[1]);
                }
            }
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND && e.getApiErrorCode() != CONSUMER_NOT_FOUND) {
                throw e;
            }
        }
    }

    /** The managed settings that differ, as {@code field have → want}; empty when equal. */
    static String streamDiff(StreamConfiguration have, StreamConfiguration want) {
        StringJoiner d = new StringJoiner(", ");
        if (!new HashSet<>(have.getSubjects()).equals(new HashSet<>(want.getSubjects()))) {
            d.add("subjects " + have.getSubjects() + " → " + want.getSubjects());
        }
        diff(d, "retention", have.getRetentionPolicy(), want.getRetentionPolicy());
        diff(d, "storage", have.getStorageType(), want.getStorageType());
        diff(d, "replicas", have.getReplicas(), want.getReplicas());
        diff(d, "max_age", have.getMaxAge(), want.getMaxAge());
        diff(d, "max_msg_size", have.getMaxMsgSize(), want.getMaxMsgSize());
        diff(d, "max_msgs_per_subject", have.getMaxMsgsPerSubject(), want.getMaxMsgsPerSubject());
        diff(d, "duplicate_window", have.getDuplicateWindow(), want.getDuplicateWindow());
        diff(d, "deny_delete", have.getDenyDelete(), want.getDenyDelete());
        diff(d, "deny_purge", have.getDenyPurge(), want.getDenyPurge());
        diff(d, "max_consumers", have.getMaxConsumers(), want.getMaxConsumers());
        Set<String> haveSources = new HashSet<>(have.getSources().stream().map(AssetApplier::describe).toList());
        Set<String> wantSources = new HashSet<>(want.getSources().stream().map(AssetApplier::describe).toList());
        if (!haveSources.equals(wantSources)) {
            d.add("sources " + haveSources + " → " + wantSources);
        }
        return d.toString();
    }

    private static String describe(Source src) {
        return src.getFilterSubject() == null || src.getFilterSubject().isEmpty()
                ? src.getName()
                : src.getName() + " (" + src.getFilterSubject() + ")";
    }

    /** The managed consumer settings that differ; empty when equal. */
    static String consumerDiff(ConsumerConfiguration have, ConsumerConfiguration want) {
        StringJoiner d = new StringJoiner(", ");
        diff(d, "filter", have.getFilterSubject(), want.getFilterSubject());
        diff(d, "ack_wait", have.getAckWait(), want.getAckWait());
        diff(d, "max_deliver", have.getMaxDeliver(), want.getMaxDeliver());
        diff(d, "max_ack_pending", have.getMaxAckPending(), want.getMaxAckPending());
        diff(d, "ack_policy", have.getAckPolicy(), want.getAckPolicy());
        return d.toString();
    }

    private static void diff(StringJoiner d, String field, Object have, Object want) {
        if (!Objects.equals(have, want)) {
            d.add(field + " " + have + " → " + want);
        }
    }
}
