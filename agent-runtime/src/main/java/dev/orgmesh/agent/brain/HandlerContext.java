package dev.orgmesh.agent.brain;

import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;

/**
 * What a handler may know about the message beyond its envelope.
 *
 * @param self the agent being driven
 * @param org the whole organization (chart, managers, teams)
 * @param source where the message came from: {@code dm}, {@code team}, {@code all}, {@code tasks},
 *        {@code events:<pattern>}, {@code heartbeat} or {@code ask}
 * @param delivery which delivery of this message this is, from 1 (a redelivery after a crash or a nak is above 1)
 */
public record HandlerContext(Agent self, Org org, String source, long delivery) {
}
