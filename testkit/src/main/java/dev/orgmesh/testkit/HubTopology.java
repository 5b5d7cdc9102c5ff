package dev.orgmesh.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A hub with JetStream (domain {@value #JS_DOMAIN}) and N leaf servers without JetStream, each connected to the
 * hub's leafnode listener: the shape orgmesh runs in, where agents connect to a local leaf and streams live on
 * the hub.
 *
 * <p>
 * Clients on a leaf reach the hub's JetStream with {@code JetStreamOptions.builder().domain(JS_DOMAIN)}. No auth:
 * tests only. {@link #start(int)} returns once every leaf is connected to the hub; {@link #close()} closes all
 * servers.
 */
public final class HubTopology implements AutoCloseable {

    /** The hub's JetStream domain, which clients on a leaf must name. */
    public static final String JS_DOMAIN = "hub";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    private final NatsServer hub;
    private final List<NatsServer> leaves;

    private HubTopology(NatsServer hub, List<NatsServer> leaves) {
        this.hub = hub;
        this.leaves = List.copyOf(leaves);
    }

    /** Starts the hub and {@code leafCount} leaves and waits until all leaves are connected to the hub. */
    public static HubTopology start(int leafCount) {
        if (leafCount < 0) {
            throw new IllegalArgumentException("leafCount must be >= 0, was " + leafCount);
        }
        NatsServer hub = NatsServer.startGenerated(
                () -> ServerConfig.standalone("hub").withJetStream(JS_DOMAIN).withLeafnodeListener());
        List<NatsServer> leaves = new ArrayList<>();
        try {
            for (int i = 0; i < leafCount; i++) {
                String leafName = "leaf-" + i;
                leaves.add(NatsServer
                        .startGenerated(() -> ServerConfig.standalone(leafName).withLeafRemote(hub.leafnodeUrl())));
            }
            HubTopology topology = new HubTopology(hub, leaves);
            topology.awaitLeavesConnected(CONNECT_TIMEOUT);
            return topology;
        } catch (RuntimeException e) {
            try {
                Closer.closeAll(leaves, hub);
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** The JetStream hub. */
    public NatsServer hub() {
        return hub;
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
     * Waits until the hub reports one leafnode connection per leaf and every leaf reports its connection to the
     * hub; use after restarting the hub or a leaf in a fault test.
     *
     * @throws IllegalStateException with the hub's log tail if that does not happen in time
     */
    public void awaitLeavesConnected(Duration timeout) {
        Polling.await(leaves.size() + " leaves connecting to " + hub, timeout, this::allConnected,
                () -> "hub reports " + Monitoring.leafnodeCount(hub.monitorPort()) + " leafnode connections"
                        + "\n--- last lines of hub log ---\n" + hub.logTail(40));
    }

    private boolean allConnected() {
        if (Monitoring.leafnodeCount(hub.monitorPort()) != leaves.size()) {
            return false;
        }
        return leaves.stream().allMatch(leaf -> Monitoring.leafnodeCount(leaf.monitorPort()) == 1);
    }

    /** Closes every leaf, then the hub. */
    @Override
    public void close() {
        Closer.closeAll(leaves, hub);
    }

    @Override
    public String toString() {
        return "HubTopology[hub=" + hub.clientUrl() + ", leaves=" + leaves.stream().map(NatsServer::clientUrl).toList()
                + "]";
    }
}
