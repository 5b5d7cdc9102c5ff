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
 * @param ask how this agent's asks wait and fall back ({@code ask:} on the agent); {@code null}: its role's
 */
public record Agent(String id, String name, String role, String team, String reportsTo, Map<String, Object> soul,
        List<String> secrets, List<String> events, HeartbeatSpec heartbeat, BrainSpec brain, RolePolicy.AskPolicy ask)
        implements
            Member {

    public Agent {
        soul = soul == null ? Map.of() : Map.copyOf(soul);
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        events = events == null ? List.of() : List.copyOf(events);
    }

    /** An agent whose asks follow its role's policy. */
    public Agent(String id, String name, String role, String team, String reportsTo, Map<String, Object> soul,
            List<String> secrets, List<String> events, HeartbeatSpec heartbeat, BrainSpec brain) {
        this(id, name, role, team, reportsTo, soul, secrets, events, heartbeat, brain, null);
    }
}
