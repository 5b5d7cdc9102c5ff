package dev.orgmesh.heartbeat.schedule;

import dev.orgmesh.protocol.org.Slot;

/**
 * A heartbeat owed to an agent.
 *
 * @param agent the agent id
 * @param slot the slot it is for
 * @param prompt what the agent is asked to do
 * @param catchUp {@code true} when this is the one tick for slots missed while no heartbeat instance ran
 */
public record Tick(String agent, Slot slot, String prompt, boolean catchUp) {
    /** The tick's id, also its {@code Nats-Msg-Id}: the same in every heartbeat instance. */
    public String id() {
        return "hb-" + agent + "-" + slot.id();
    }
}
