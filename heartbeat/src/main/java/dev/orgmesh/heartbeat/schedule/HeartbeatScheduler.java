package dev.orgmesh.heartbeat.schedule;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;

import org.jboss.logging.Logger;

import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.Schedule;
import dev.orgmesh.protocol.org.Slot;

/**
 * Every agent's next heartbeat in one priority queue, so the service sleeps until exactly the earliest one instead
 * of polling. No clock inside: callers pass {@code now}, which lets tests walk through fifty slots in a moment.
 *
 * <p>Misfire policy: when the scheduler starts (or the org is reloaded) an agent whose last stored tick is older
 * than its most recent due slot gets <em>one</em> catch-up tick for that slot, never one per missed slot. An agent
 * with no stored tick at all starts with its next slot.
 *
 * <p>Not thread-safe: one loop drives it.
 */
public final class HeartbeatScheduler {
    private static final Logger LOG = Logger.getLogger(HeartbeatScheduler.class);

    private record Entry(Slot slot, String agent) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry o) {
            return slot.compareTo(o.slot);
        }
    }

    private final TickSink sink;
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private Map<String, Schedule> schedules = new HashMap<>();
    private Map<String, String> prompts = new HashMap<>();
    /** The slot after each prepared one, computed by {@link #prepare} ahead of the burst. */
    private final Map<Entry, Optional<Slot>> following = new HashMap<>();
    /** The instant {@link #prepare} last prepared for. */
    private Instant preparedUpTo;

    public HeartbeatScheduler(TickSink sink) {
        this.sink = sink;
    }

    /**
     * Takes the org's schedules (at start and on every change), publishes the catch-up ticks owed, and queues every
     * agent's next slot after {@code now}.
     */
    public List<Tick> load(Org org, Instant now) {
        Map<String, Schedule> next = new HashMap<>();
        Map<String, String> nextPrompts = new HashMap<>();
        for (Agent a : org.agents()) {
            next.put(a.id(), new Schedule(a.heartbeat()));
            nextPrompts.put(a.id(), a.heartbeat().prompt());
        }
        schedules = next;
        prompts = nextPrompts;
        queue.clear();
        sink.forgetPrepared();
        following.clear();
        preparedUpTo = null;
        List<Tick> owed = new ArrayList<>();
        Map<String, Instant> lastStored = sink.lastScheduled();
        for (Map.Entry<String, Schedule> e : schedules.entrySet()) {
            String agent = e.getKey();
            Instant last = lastStored.get(agent);
            if (last != null) {
                e.getValue().latestDue(last, now).ifPresent(slot -> {
                    Tick t = new Tick(agent, slot, prompts.get(agent), true);
                    sink.publish(t);
                    owed.add(t);
                });
            }
            e.getValue().next(now).ifPresent(slot -> queue.add(new Entry(slot, agent)));
        }
        LOG.infof("heartbeat schedules loaded for %d agents (%d catch-up ticks)", schedules.size(), owed.size());
        return owed;
    }

    /**
     * Prepares every tick due at or before {@code upTo} (the next slot: the engine calls this a moment before it),
     * once per instant, and computes each of those agents' following slot: encoding thousands of ticks and evaluating
     * their schedules is then done before the slot, not inside or right after its burst.
     */
    public int prepare(Instant upTo) {
        if (upTo.equals(preparedUpTo)) {
            return 0;
        }
        preparedUpTo = upTo;
        following.clear();
        int n = 0;
        for (Entry e : queue) {
            if (!e.slot().at().isAfter(upTo)) {
                sink.prepare(new Tick(e.agent(), e.slot(), prompts.get(e.agent()), false));
                following.put(e, schedules.get(e.agent()).next(e.slot().at()));
                n++;
            }
        }
        return n;
    }

    /** When the earliest queued slot is due, if any. */
    public Optional<Instant> nextDue() {
        Entry head = queue.peek();
        return head == null ? Optional.empty() : Optional.of(head.slot().at());
    }

    /** Publishes every tick due at or before {@code now} and queues each agent's following slot. */
    public List<Tick> fire(Instant now) {
        List<Entry> due = new ArrayList<>();
        while (!queue.isEmpty() && !queue.peek().slot().at().isAfter(now)) {
            due.add(queue.poll());
        }
        // Publish the whole burst first, then compute next slots (cron evaluation is the slow part): a slot shared
        // by thousands of agents is sent as early as possible.
        List<Tick> fired = new ArrayList<>(due.size());
        for (Entry e : due) {
            Tick t = new Tick(e.agent(), e.slot(), prompts.get(e.agent()), false);
            sink.publish(t);
            fired.add(t);
        }
        for (Entry e : due) {
            // the next slot after this one, but never one already in the past: a stall owes one tick, not a burst;
            // computed by prepare() before the burst when it can be (cron evaluation of thousands of agents right
            // after the sends would take the CPU the sends still need)
            Optional<Slot> ready = following.remove(e);
            Optional<Slot> next = ready != null && ready.map(sl -> sl.at().isAfter(now)).orElse(true)
                    ? ready
                    : schedules.get(e.agent()).next(e.slot().at().isBefore(now) ? now : e.slot().at());
            next.ifPresent(slot -> queue.add(new Entry(slot, e.agent())));
        }
        return fired;
    }

    /** Agents with a queued slot. */
    public int size() {
        return queue.size();
    }
}
