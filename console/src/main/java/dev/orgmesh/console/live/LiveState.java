package dev.orgmesh.console.live;

import java.io.IOException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.org.Org;

/**
 * Everything the page shows that changes: the org, the last beacon of every member, the approvals, the budget
 * entries and the newest messages. Filled by {@link NatsFollower} from the buckets and by the {@code feed} channel
 * from {@code {co}.>}; read by the HTTP API. Listeners hear of every new message and of every other change, so the page is pushed, not polled.
 * Thread-safe; no NATS in here, so it is tested without a server.
 */
public final class LiveState {
    private static final Logger LOG = Logger.getLogger(LiveState.class);

    /** What a listener is told. */
    public interface Listener {
        /** A message arrived on {@code {co}.>}. */
        void message(FeedEntry entry);

        /** The org, a presence, an approval or a budget changed: fetch the snapshot again. */
        void changed(String what);
    }

    private final InstantSource clock;
    private final int feedSize;
    private volatile Org org;
    private final Map<String, Presence> presence = new ConcurrentHashMap<>();
    private final Map<String, Approval> approvals = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> budgets = new ConcurrentHashMap<>();
    private final Deque<FeedEntry> feed = new ArrayDeque<>();
    private final AtomicLong seq = new AtomicLong();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    public LiveState(InstantSource clock, int feedSize) {
        this.clock = clock;
        this.feedSize = Math.max(1, feedSize);
    }

    /** The org shown; empty until one was loaded. */
    public Optional<Org> org() {
        return Optional.ofNullable(org);
    }

    public void setOrg(Org next) {
        this.org = next;
        fire("org");
    }

    /** A presence bucket entry: a beacon, or {@code null} when the key was deleted. */
    public void presence(String member, byte[] value) {
        if (value == null || value.length == 0) {
            presence.remove(member);
        } else {
            try {
                presence.put(member, Presence.decode(value));
            } catch (RuntimeException e) {
                LOG.debugf("presence of %s is not a beacon: %s", member, e.getMessage());
                return;
            }
        }
        fire("presence");
    }

    /** An approvals bucket entry, or {@code null} when deleted. */
    public void approval(String id, byte[] value) {
        if (value == null || value.length == 0) {
            approvals.remove(id);
        } else {
            try {
                approvals.put(id, Approval.decode(value));
            } catch (RuntimeException e) {
                LOG.warnf("approval %s cannot be read: %s", id, e.getMessage());
                return;
            }
        }
        fire("approvals");
    }

    /** A budgets bucket entry, or {@code null} when deleted. */
    public void budget(String key, byte[] value) {
        if (value == null || value.length == 0) {
            budgets.remove(key);
        } else {
            try {
                budgets.put(key, Json.mapper().readTree(value));
            } catch (IOException | RuntimeException e) {
                LOG.warnf("budget entry %s is not JSON: %s", key, e.getMessage());
                return;
            }
        }
        fire("budgets");
    }

    /** Dead letters are read on demand; this tells pages that one arrived. */
    public void deadLettersChanged() {
        fire("dlq");
    }

    /**
     * A message seen on {@code {co}.>}; ignored until an org is loaded. A dead letter ({@code {co}.dlq.…}) also tells
     * pages that the dead-letter table changed.
     */
    public void message(String subject, byte[] data) {
        Org o = org;
        if (o == null) {
            return;
        }
        FeedEntry e = FeedEntry.of(seq.incrementAndGet(), clock.instant(), subject, data, o);
        synchronized (feed) {
            feed.addLast(e);
            while (feed.size() > feedSize) {
                feed.removeFirst();
            }
        }
        for (Listener l : listeners) {
            l.message(e);
        }
        if (subject.startsWith(o.company() + ".dlq.")) {
            deadLettersChanged();
        }
    }

    /** The newest messages that match {@code filter}, oldest first, at most {@code limit}. */
    public List<FeedEntry> feed(FeedFilter filter, int limit) {
        List<FeedEntry> out = new ArrayList<>();
        synchronized (feed) {
            var it = feed.descendingIterator();
            while (it.hasNext() && out.size() < limit) {
                FeedEntry e = it.next();
                if (filter.matches(e)) {
                    out.add(e);
                }
            }
        }
        return out.reversed();
    }

    /** The chart with presence as of now; empty until an org is loaded. */
    public Optional<OrgView> chart() {
        Org o = org;
        return o == null ? Optional.empty() : Optional.of(OrgView.of(o, Map.copyOf(presence), clock.instant()));
    }

    /** Approvals still waiting for a human (pending or escalated), oldest first. */
    public List<Approval> openApprovals() {
        return approvals.values().stream()
                .filter(Approval::open)
                .sorted(Comparator.comparing((Approval a) -> a.heldAt() == null ? Instant.EPOCH : a.heldAt())
                        .thenComparing(Approval::id))
                .toList();
    }

    /** One approval by id. */
    public Optional<Approval> approval(String id) {
        return Optional.ofNullable(approvals.get(id));
    }

    /** The budget table as of now; empty until an org is loaded. */
    public List<BudgetRow> budgets() {
        Org o = org;
        return o == null ? List.of() : BudgetRow.table(o, Map.copyOf(budgets), clock.instant());
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    private void fire(String what) {
        for (Listener l : listeners) {
            l.changed(what);
        }
    }
}
