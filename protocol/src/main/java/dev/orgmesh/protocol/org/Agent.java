package dev.orgmesh.protocol.org;

import java.util.List;
import java.util.Map;

/**
 * An AI member of the org, with the layered defaults already applied (platform → company → team → agent).
 *
 * @param id member id
 * @param name display name
 * @param role role slug such as {@code role-cto}; agents of one role share {@code {co}.tasks.{role}}
 * @param team team id
 * @param reportsTo the member (agent or human) escalations go to
 * @param soul free-form personality and specialization, as written (string values)
 * @param secrets names of the secrets this agent may fetch
 * @param events event patterns this agent follows ({@code deployment}, {@code security.>})
 * @param heartbeat its heartbeat schedule
 * @param brain which brain drives it
 */
public record Agent(String id, String name, String role, String team, String reportsTo, Map<String, Object> soul,
        List<String> secrets, List<String> events, HeartbeatSpec heartbeat, BrainSpec brain) implements Member {

    public Agent {
        soul = soul == null ? Map.of() : Map.copyOf(soul);
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        events = events == null ? List.of() : List.copyOf(events);
    }
}
