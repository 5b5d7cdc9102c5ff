package dev.orgmesh.render;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a render produced. Holds paths and public facts only, never a secret.
 *
 * @param outDir the output directory
 * @param hubConfigs the hub config(s): one, or one per cluster node
 * @param agents per agent id, its files and addresses
 * @param users every user rendered into the hub, by account, for inspection and security tests
 */
public record RenderResult(Path outDir, List<Path> hubConfigs, Map<String, AgentFiles> agents, List<NatsUser> users) {

    public RenderResult {
        hubConfigs = List.copyOf(hubConfigs);
        agents = Map.copyOf(agents);
        users = List.copyOf(users);
    }

    /** The files and addresses of one agent. */
    public AgentFiles agent(String id) {
        AgentFiles files = agents.get(id);
        if (files == null) {
            throw new IllegalArgumentException("no agent '" + id + "' was rendered; known: " + agents.keySet());
        }
        return files;
    }

    /**
     * One agent's rendered files.
     *
     * @param company company id
     * @param account NATS account name
     * @param dir the agent's directory
     * @param leafConf its leaf config
     * @param seed its NKey seed file
     * @param identity its public {@code agent.json}
     * @param leafPort the local client port of its leaf
     * @param hubLeafUrl the hub URL its leaf dials, without credentials
     * @param publicKey its NKey public key
     */
    public record AgentFiles(String company, String account, Path dir, Path leafConf, Path seed, Path identity,
            int leafPort, String hubLeafUrl, String publicKey) {

        /** {@code nats://127.0.0.1:<leafPort>}, where the agent's local clients connect. */
        public String leafClientUrl() {
            return "nats://127.0.0.1:" + leafPort;
        }
    }
}
