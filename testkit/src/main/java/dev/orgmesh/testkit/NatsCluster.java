package dev.orgmesh.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * A JetStream cluster of real servers on 127.0.0.1 (routes between all nodes, one {@code server_name} each), for
 * tests of replicated streams and of node failures.
 *
 * <p>
 * {@link #start(int)} returns once a JetStream meta leader is elected and sees every other node as current, so
 * an R3 stream can be created right away. {@link #close()} closes all nodes.
 */
public final class NatsCluster implements AutoCloseable {

    /** The {@code cluster.name} of every test cluster. */
    public static final String CLUSTER_NAME = "orgmesh-test";

    /**
     * How long an election may take. Usually a second or two; on a loaded two-core CI machine, after a node is killed
     * under traffic, it once took more than 20 s (the fault suite failed waiting, then passed on its rerun). Waiting
     * longer costs nothing when the election is quick.
     */
    private static final Duration META_LEADER_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;

    private final List<NatsServer> nodes;

    private NatsCluster(List<NatsServer> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /** Starts {@code size} nodes (at least 2; use 3 for R3 streams) and waits for the JetStream meta leader. */
    public static NatsCluster start(int size) {
        return start(size, UnaryOperator.identity());
    }

    /** As {@link #start(int)}, each node's config passed through {@code customize} (domain, leafnode listener). */
    static NatsCluster start(int size, UnaryOperator<ServerConfig> customize) {
        if (size < 2) {
            throw new IllegalArgumentException("a cluster needs at least 2 nodes, was " + size);
        }
        for (int attempt = 1;; attempt++) {
            List<NatsServer> nodes = new ArrayList<>();
            try {
                for (ServerConfig config : configs(size)) {
                    nodes.add(NatsServer.create(customize.apply(config)));
                }
                NatsCluster cluster = new NatsCluster(nodes);
                cluster.launchAndAwait();
                return cluster;
            } catch (RuntimeException e) {
                try {
                    Closer.closeAll(nodes);
                } catch (RuntimeException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
                if (!(e instanceof NatsServerStartException start && start.isPortConflict())
                        || attempt == START_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static List<ServerConfig> configs(int size) {
        List<Integer> routePorts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            routePorts.add(FreePorts.next());
        }
        List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            int self = i;
            List<String> routes = new ArrayList<>();
            for (int j = 0; j < size; j++) {
                if (j != self) {
                    routes.add("nats-route://" + ServerConfig.hostPort(routePorts.get(j)));
                }
            }
            configs.add(ServerConfig.standalone("node-" + i).withJetStream(null).withCluster(CLUSTER_NAME,
                    routePorts.get(i), routes));
        }
        return configs;
    }

    /** Launches every node before waiting on any: a node reports healthy only once the cluster has a leader. */
    private void launchAndAwait() {
        nodes.forEach(NatsServer::launch);
        nodes.forEach(NatsServer::awaitReady);
        awaitMetaLeader(META_LEADER_TIMEOUT);
    }

    /** Node {@code index}, counting from 0; its server name is {@code node-<index>}. */
    public NatsServer node(int index) {
        return nodes.get(index);
    }

    /** All nodes. */
    public List<NatsServer> nodes() {
        return nodes;
    }

    /** Every node's client URL, comma separated, as {@code Options.builder().server(..)} accepts. */
    public String clientUrls() {
        return nodes.stream().map(NatsServer::clientUrl).collect(Collectors.joining(","));
    }

    /** The node that is the JetStream meta leader according to the first running node that knows one. */
    public Optional<NatsServer> metaLeader() {
        return nodes.stream().filter(NatsServer::isRunning).map(node -> Monitoring.metaLeader(node.monitorPort()))
                .flatMap(Optional::stream).findFirst().flatMap(this::byName);
    }

    /**
     * Waits until every running node names the same JetStream meta leader and that leader sees all other running
     * nodes as current; use after killing or restarting nodes.
     */
    public void awaitMetaLeader(Duration timeout) {
        Polling.await("JetStream meta leader election in " + CLUSTER_NAME, timeout, this::metaLeaderSettled,
                () -> nodes.stream().map(node -> "--- last lines of " + node.name() + " ---\n" + node.logTail(15))
                        .collect(Collectors.joining("\n")));
    }

    private boolean metaLeaderSettled() {
        List<NatsServer> running = nodes.stream().filter(NatsServer::isRunning).toList();
        List<Optional<String>> leaders = running.stream().map(node -> Monitoring.metaLeader(node.monitorPort()))
                .toList();
        if (leaders.isEmpty() || leaders.getFirst().isEmpty()
                || leaders.stream().anyMatch(leader -> !leader.equals(leaders.getFirst()))) {
            return false;
        }
        return byName(leaders.getFirst().get())
                .filter(leader -> Monitoring.currentMetaReplicas(leader.monitorPort()) >= running.size() - 1)
                .isPresent();
    }

    private Optional<NatsServer> byName(String serverName) {
        return nodes.stream().filter(node -> node.name().equals(serverName)).findFirst();
    }

    /** Stops every node, then starts them all again on the same ports and stores and waits for a meta leader. */
    public void restart() {
        nodes.forEach(NatsServer::stop);
        launchAndAwait();
    }

    /**
     * Starts every node that is not running (after {@link NatsServer#kill()} or {@link NatsServer#stop()} of some or
     * all of them) on its old ports and store, and waits until each accepts clients and the meta leader is settled
     * (not for {@code /healthz}, which under load may take long to call every stream current).
     */
    public void startStopped() {
        List<NatsServer> stopped = nodes.stream().filter(node -> !node.isRunning()).toList();
        stopped.forEach(NatsServer::launch);
        stopped.forEach(NatsServer::awaitAcceptingClients);
        awaitMetaLeader(META_LEADER_TIMEOUT);
    }

    /** Closes every node. */
    @Override
    public void close() {
        Closer.closeAll(nodes);
    }

    @Override
    public String toString() {
        return "NatsCluster[" + clientUrls() + "]";
    }
}
