package dev.orgmesh.agent.boot;

import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.HubUrl;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.protocol.org.Suggest;

/**
 * Who this runtime is: the validated org, the agent within it, and the hub address its leaf dials (checked, so a
 * hub named on its client port is refused at boot with a message saying which port belongs there).
 *
 * @param org the organization
 * @param agent this agent, defaults applied
 * @param hubUrl the hub's leafnode URL when one is known (explicit setting, else the org file's {@code hub.url})
 */
public record AgentSoul(Org org, Agent agent, Optional<String> hubUrl) {
    /** The agent's time zone (its heartbeat's, else UTC), in which a deadline written as a date ends. */
    public ZoneId zone() {
        return agent.heartbeat() != null && agent.heartbeat().tz() != null ? agent.heartbeat().tz() : ZoneOffset.UTC;
    }

    /** Loads {@code orgFile} and finds {@code agentId} in it. */
    public static AgentSoul load(Path orgFile, String agentId, Optional<String> hubUrl) {
        return of(OrgLoader.load(orgFile), agentId, hubUrl);
    }

    /**
     * The soul of {@code agentId} in {@code org}. Throws {@code AGENT_UNKNOWN} naming the closest id when the agent
     * is not in the org, and {@code AGENT_WRONG_HUB_PORT} when the hub URL names the client port.
     */
    public static AgentSoul of(Org org, String agentId, Optional<String> hubUrl) {
        Agent agent = org.agent(agentId).orElseThrow(() -> {
            String hint = Suggest.didYouMean(agentId, org.agents().stream().map(Agent::id).toList());
            return new OrgmeshException(ErrorCode.AGENT_UNKNOWN, "no agent '" + agentId + "' in org "
                    + org.company() + (hint != null ? " (" + hint + ")" : ""));
        });
        Optional<String> url = hubUrl.filter(u -> !u.isBlank()).or(() -> Optional.ofNullable(org.hub().url()));
        try {
            return new AgentSoul(org, agent, url.map(HubUrl::check));
        } catch (IllegalArgumentException e) {
            throw new OrgmeshException(ErrorCode.AGENT_WRONG_HUB_PORT, e.getMessage(), e);
        }
    }
}
