package dev.orgmesh.vault.keys;

import java.util.Optional;

/**
 * Where the bridge learns each agent's public NKey, to verify its signed requests. Today the rendered
 * {@code agents/<id>/agent.json} files ({@link RenderedAgentKeys}); another source (the org directory, a KV bucket,
 * operator-mode JWTs) implements this too.
 */
public interface AgentKeys {
    /** The agent's public user NKey ({@code U…}), or empty when this source does not know the agent. */
    Optional<String> publicKey(String agentId);
}
