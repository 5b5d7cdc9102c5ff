package dev.orgmesh.heartbeat.schedule;

import java.time.Instant;
import java.util.Map;

/** Where ticks go, and what the last stored tick of an agent was (for the misfire policy). */
public interface TickSink {
    /** Publishes a tick; the stream stores it once per id however many instances publish it. */
    void publish(Tick tick);

    /** When the last stored tick of each agent was scheduled; agents without one are absent. */
    Map<String, Instant> lastScheduled();
}
