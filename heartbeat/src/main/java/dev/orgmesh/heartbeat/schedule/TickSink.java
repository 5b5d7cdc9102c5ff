package dev.orgmesh.heartbeat.schedule;

import java.time.Instant;
import java.util.Map;

/** Where ticks go, and what the last stored tick of an agent was (for the misfire policy). */
public interface TickSink {
    /** Publishes a tick; the stream stores it once per id however many instances publish it. */
    void publish(Tick tick);

    /**
     * Gets {@code tick} ready to be published (encoded), ahead of its slot, so that a slot shared by thousands of
     * agents costs only the sends when it comes. A sink without such work does nothing; a prepared tick that is
     * never published is dropped by {@link #forgetPrepared()}.
     */
    default void prepare(Tick tick) {
    }

    /** Drops every prepared tick not published (the org changed, the schedules were reloaded). */
    default void forgetPrepared() {
    }

    /** When the last stored tick of each agent was scheduled; agents without one are absent. */
    Map<String, Instant> lastScheduled();
}
