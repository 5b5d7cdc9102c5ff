package dev.orgmesh.agent.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of the messages this runtime finished most recently, oldest evicted first. A redelivery of one of them
 * (its ack was lost, or the same envelope was published twice outside the stream's duplicate window) is acked
 * without running the handler again.
 */
public final class RecentIds {
    private final Map<String, Boolean> ids;

    /** Remembers at most {@code capacity} ids. */
    public RecentIds(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.ids = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Records {@code id}; returns {@code false} when it was already there. */
    public synchronized boolean add(String id) {
        return ids.put(id, Boolean.TRUE) == null;
    }

    /** Whether {@code id} was finished recently. */
    public synchronized boolean contains(String id) {
        return ids.containsKey(id);
    }

    /** How many ids are remembered. */
    public synchronized int size() {
        return ids.size();
    }
}
