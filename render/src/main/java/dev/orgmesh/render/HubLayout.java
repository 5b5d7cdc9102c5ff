package dev.orgmesh.render;

import java.nio.file.Path;

/**
 * Where {@link HubRenderer} puts each file in its output directory, so the deploy scripts and the agent runtime find
 * them without guessing.
 *
 * <pre>
 * hub.conf                                  the hub (single server), or hub-&lt;node&gt;.conf per cluster node
 * agents/&lt;id&gt;/leaf.conf                     the agent's leaf (0600: embeds its leaf password)
 * agents/&lt;id&gt;/user.nk                       the agent's NKey seed for direct hub connections (0600)
 * agents/&lt;id&gt;/agent.json                    public facts: account, public key, inbox prefix, URLs
 * humans/&lt;id&gt;/user.nk, nats-context.json   a human's seed and a nats CLI context
 * services/&lt;company&gt;/&lt;service&gt;.nk          heartbeat, vault-bridge, hub-bootstrap, operator seeds
 * services/&lt;company&gt;/operator-context.json  nats CLI context of the company's operator
 * system/sys.nk                             the SYS account user
 * keys/                                     the key store that keeps credentials stable across renders
 * </pre>
 *
 * Every directory holding a secret is 0700 and every secret file 0600.
 */
public final class HubLayout {
    private HubLayout() {
    }

    public static Path hubConf(Path out) {
        return out.resolve("hub.conf");
    }

    public static Path hubConf(Path out, String node) {
        return out.resolve("hub-" + node + ".conf");
    }

    public static Path keysDir(Path out) {
        return out.resolve("keys");
    }

    public static Path agentDir(Path out, String agentId) {
        return out.resolve("agents").resolve(agentId);
    }

    public static Path leafConf(Path out, String agentId) {
        return agentDir(out, agentId).resolve("leaf.conf");
    }

    public static Path agentSeed(Path out, String agentId) {
        return agentDir(out, agentId).resolve("user.nk");
    }

    public static Path agentIdentity(Path out, String agentId) {
        return agentDir(out, agentId).resolve("agent.json");
    }

    public static Path humanDir(Path out, String humanId) {
        return out.resolve("humans").resolve(humanId);
    }

    public static Path humanSeed(Path out, String humanId) {
        return humanDir(out, humanId).resolve("user.nk");
    }

    public static Path humanContext(Path out, String humanId) {
        return humanDir(out, humanId).resolve("nats-context.json");
    }

    public static Path servicesDir(Path out, String company) {
        return out.resolve("services").resolve(company);
    }

    public static Path serviceSeed(Path out, String company, HubService service) {
        return servicesDir(out, company).resolve(service.id() + ".nk");
    }

    public static Path operatorContext(Path out, String company) {
        return servicesDir(out, company).resolve("operator-context.json");
    }

    public static Path systemSeed(Path out) {
        return out.resolve("system").resolve("sys.nk");
    }
}
