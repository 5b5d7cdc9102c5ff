package dev.orgmesh.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A hub that is a JetStream cluster (every node in domain {@value HubTopology#JS_DOMAIN}, with a leafnode listener)
 * and N leaf servers without JetStream, each with one leaf remote that may dial any hub node: the shape of a hub
 * grown past one machine (docs/architecture.md), for fault tests that kill hub nodes, leaves or the whole hub.
 *
 * <p>
 * {@link #start(int, int)} returns once the cluster has a settled meta leader and every leaf is connected.
 * {@link #close()} closes every server.
 */
public final class ClusteredHubTopology implements AutoCloseable {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);

    private final NatsCluster hub;
    private final List<NatsServer> leaves;

    private ClusteredHubTopology(NatsCluster hub, List<NatsServer> leaves) {
        this.hub = hub;
        this.leaves = List.copyOf(leaves);
    }

    /** Starts a {@code hubNodes}-node hub (3 for R3 streams) and {@code leafCount} leaves; waits until connected. */
    public static ClusteredHubTopology start(int hubNodes, int leafCount) {
        if (leafCount < 0) {
            throw new IllegalArgumentException("leafCount must be >= 0, was " + leafCount);
        }
        NatsCluster hub = NatsCluster.start(hubNodes,
                config -> config.withJetStream(HubTopology.JS_DOMAIN).withLeafnodeListener());
        List<NatsServer> leaves = new ArrayList<>();
        try {
            List<String> remotes = hub.nodes().stream().map(NatsServer::leafnodeUrl).toList();
            for (int i = 0; i < leafCount; i++) {
                String leafName = "leaf-" + i;
                leaves.add(NatsServer
                        .startGenerated(() -> ServerConfig.standalone(leafName).withLeafRemoteAnyOf(remotes)));
            }
            ClusteredHubTopology topology = new ClusteredHubTopology(hub, leaves);
            topology.awaitLeavesConnected(CONNECT_TIMEOUT);
            return topology;
        } catch (RuntimeException e) {
            try {
                Closer.closeAll(leaves, hub.nodes().toArray(NatsServer[]::new));
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** The hub's nodes. */
    public NatsCluster hub() {
        return hub;
    }

    /** Every hub node's client URL, comma separated, for a hub-side client that fails over. */
    public String hubClientUrls() {
        return hub.clientUrls();
    }

    /** Leaf {@code index}, counting from 0. */
    public NatsServer leaf(int index) {
        return leaves.get(index);
    }

    /** All leaves, in start order. */
    public List<NatsServer> leaves() {
        return leaves;
    }

    /**
     * Waits until every running leaf reports its connection to the hub and the running hub nodes together report
     * one leafnode connection per running leaf; use after killing or restarting hub nodes or leaves.
     */
    public void awaitLeavesConnected(Duration timeout) {
        Polling.await("leaves connecting to " + hub, timeout, this::allConnected,
                () -> "hub nodes report " + hubLeafnodes() + " leafnode connections\n" + hub.nodes().stream()
                        .map(node -> "--- last lines of " + node.name() + " ---\n" + node.logTail(15))
                        .collect(Collectors.joining("\n")));
    }

    private int hubLeafnodes() {
        return hub.nodes().stream().filter(NatsServer::isRunning)
                .mapToInt(node -> Math.max(0, Monitoring.leafnodeCount(node.monitorPort()))).sum();
    }

    private boolean allConnected() {
        List<NatsServer> running = leaves.stream().filter(NatsServer::isRunning).toList();
        return hubLeafnodes() == running.size()
                && running.stream().allMatch(leaf -> Monitoring.leafnodeCount(leaf.monitorPort()) == 1);
    }

    /** Closes every leaf, then the hub. */
    @Override
    public void close() {
        Closer.closeAll(leaves, hub.nodes().toArray(NatsServer[]::new));
    }

    @Override
    public String toString() {
        return "ClusteredHubTopology[hub=" + hub.clientUrls() + ", leaves="
                + leaves.stream().map(NatsServer::clientUrl).toList() + "]";
    }
}
