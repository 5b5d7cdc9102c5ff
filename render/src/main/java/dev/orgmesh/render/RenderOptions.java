package dev.orgmesh.render;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.orgmesh.protocol.org.HubUrl;

/**
 * How to render a hub: listen addresses and ports, where JetStream stores data, the leaves' local ports, optional TLS
 * and clustering, and the environment that may override the hub URL leaves dial.
 *
 * @param serverName the hub's server name (single-node hubs)
 * @param host address the client listener binds
 * @param clientPort client port (default 4222)
 * @param leafnodeHost address the leafnode listener binds; on Fly the private network address
 * @param leafnodePort leafnode port leaves dial (default 7422)
 * @param monitorHost address the HTTP monitoring listener binds
 * @param monitorPort HTTP monitoring port, 0 for none (default 8222)
 * @param storeDir JetStream store directory; {@code null} for {@code <out>/jetstream}
 * @param leafPort the local client port of every agent's leaf (default 4222)
 * @param leafPorts per-agent overrides of {@code leafPort}, for several leaves on one machine
 * @param env environment consulted for {@value HubRenderer#HUB_URL_ENV}, passed in so tests control it
 * @param tls TLS for all listeners, or empty for plain TCP
 * @param cluster cluster nodes, or empty for one server
 */
public record RenderOptions(String serverName, String host, int clientPort, String leafnodeHost, int leafnodePort,
        String monitorHost, int monitorPort, Path storeDir, int leafPort, Map<String, Integer> leafPorts,
        Map<String, String> env, Optional<TlsOptions> tls, Optional<ClusterOptions> cluster) {

    public RenderOptions {
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(leafnodeHost, "leafnodeHost");
        Objects.requireNonNull(monitorHost, "monitorHost");
        leafPorts = Map.copyOf(leafPorts);
        env = Map.copyOf(env);
        tls = Objects.requireNonNullElse(tls, Optional.empty());
        cluster = Objects.requireNonNullElse(cluster, Optional.empty());
    }

    /** Defaults: everything on 127.0.0.1, standard ports, no TLS, one server, empty environment. */
    public static RenderOptions defaults() {
        return new RenderOptions("orgmesh-hub", "127.0.0.1", 4222, "127.0.0.1", HubUrl.LEAFNODE_PORT, "127.0.0.1",
                8222, null, 4222, Map.of(), Map.of(), Optional.empty(), Optional.empty());
    }

    public RenderOptions withServerName(String name) {
        return new RenderOptions(name, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, leafPort, leafPorts, env, tls, cluster);
    }

    public RenderOptions withClient(String bindHost, int port) {
        return new RenderOptions(serverName, bindHost, port, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, leafPort, leafPorts, env, tls, cluster);
    }

    public RenderOptions withLeafnode(String bindHost, int port) {
        return new RenderOptions(serverName, host, clientPort, bindHost, port, monitorHost, monitorPort, storeDir,
                leafPort, leafPorts, env, tls, cluster);
    }

    public RenderOptions withMonitor(String bindHost, int port) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, bindHost, port, storeDir,
                leafPort, leafPorts, env, tls, cluster);
    }

    public RenderOptions withStoreDir(Path dir) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                dir, leafPort, leafPorts, env, tls, cluster);
    }

    public RenderOptions withLeafPort(int port) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, port, leafPorts, env, tls, cluster);
    }

    public RenderOptions withLeafPorts(Map<String, Integer> ports) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, leafPort, ports, env, tls, cluster);
    }

    public RenderOptions withEnv(Map<String, String> environment) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, leafPort, leafPorts, environment, tls, cluster);
    }

    public RenderOptions withTls(TlsOptions options) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, leafPort, leafPorts, env, Optional.of(options), cluster);
    }

    public RenderOptions withCluster(ClusterOptions options) {
        return new RenderOptions(serverName, host, clientPort, leafnodeHost, leafnodePort, monitorHost, monitorPort,
                storeDir, leafPort, leafPorts, env, tls, Optional.of(options));
    }

    /** The local client port of this agent's leaf. */
    public int leafPortOf(String agentId) {
        return leafPorts.getOrDefault(agentId, leafPort);
    }
}
