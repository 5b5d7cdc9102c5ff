package dev.orgmesh.render;

import java.util.List;
import java.util.Objects;

/**
 * A hub that is a NATS cluster (routes, JetStream replicas) rather than one server. One config is rendered per node
 * ({@code hub-<serverName>.conf}); all nodes share the same accounts and users.
 *
 * @param name the cluster name
 * @param nodes the nodes, at least three for JetStream replicas 3
 */
public record ClusterOptions(String name, List<Node> nodes) {
    public ClusterOptions {
        Objects.requireNonNull(name, "name");
        nodes = List.copyOf(nodes);
        if (nodes.size() < 2) {
            throw new IllegalArgumentException("a cluster needs at least two nodes, got " + nodes.size());
        }
        if (nodes.stream().map(Node::serverName).distinct().count() != nodes.size()) {
            throw new IllegalArgumentException("cluster node names must be unique");
        }
    }

    /**
     * One node of the hub cluster.
     *
     * @param serverName unique server name, also the name of its config file and store sub-directory
     * @param host the address it binds and routes to
     * @param clientPort client port
     * @param clusterPort route port
     * @param leafnodePort leafnode port
     * @param monitorPort HTTP monitoring port, 0 for none
     */
    public record Node(String serverName, String host, int clientPort, int clusterPort, int leafnodePort,
            int monitorPort) {
        public Node {
            Objects.requireNonNull(serverName, "serverName");
            Objects.requireNonNull(host, "host");
        }
    }
}
