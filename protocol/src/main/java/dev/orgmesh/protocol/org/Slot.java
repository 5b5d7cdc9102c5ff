package dev.orgmesh.protocol.org;

import java.time.Instant;

/**
 * One scheduled heartbeat of one agent. {@code id} names the slot the same way in every heartbeat instance (the
 * local date-time of a cron slot, the interval number of an {@code every} slot), so the tick's {@code Nats-Msg-Id}
 * — agent plus slot id — lets JetStream store it once however many instances publish it.
 *
 * @param id stable slot name
 * @param at the instant the tick is due
 */
public record Slot(String id, Instant at) implements Comparable<Slot> {
    @Override
    public int compareTo(Slot o) {
        return at.compareTo(o.at);
    }
}
