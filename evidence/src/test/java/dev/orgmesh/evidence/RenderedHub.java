package dev.orgmesh.evidence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.KeyValueOptions;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.HubLayout;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.Permissions;
import dev.orgmesh.render.RenderOptions;
import dev.orgmesh.render.RenderResult;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.testkit.NatsServer;

/**
 * The seed's org ({@code examples/komodo-ai.yaml}) rendered by hub-bootstrap into a secured hub and started as a
 * real {@code nats-server} on random 127.0.0.1 ports, with the org's JetStream assets applied by the operator: the
 * same credentials and permissions production runs with. Members connect directly to the hub's client port with
 * their rendered NKey seed and private inbox prefix. A leaf connection gets the same permissions from the hub
 * (ADR 0001; {@code RenderedHubTest.aTamperedLeafIsStoppedByTheHub} shows the hub enforcing them on a leaf).
 */
public final class RenderedHub implements AutoCloseable {
    /** The seed's org, the one every evidence test uses. */
    public static final Path KOMODO_FILE = Path.of("..", "examples", "komodo-ai.yaml");

    public final Org org;
    public final RenderResult rendered;
    public final NatsServer server;
    private final Path dir;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();

    private RenderedHub(Org org, RenderResult rendered, NatsServer server, Path dir) {
        this.org = org;
        this.rendered = rendered;
        this.server = server;
        this.dir = dir;
    }

    /** Renders and starts the seed's org, and applies its assets. */
    public static RenderedHub start() {
        try {
            Path dir = Files.createTempDirectory("orgmesh-evidence-");
            Org org = OrgLoader.load(KOMODO_FILE);
            int port = FreePorts.next();
            int leafnodePort = FreePorts.next();
            int monitorPort = FreePorts.next();
            RenderOptions options = RenderOptions.defaults().withClient("127.0.0.1", port)
                    .withLeafnode("127.0.0.1", leafnodePort).withMonitor("127.0.0.1", monitorPort)
                    .withStoreDir(dir.resolve("jetstream"));
            RenderResult rendered = new HubRenderer().render(org, options, dir.resolve("render"));
            NatsServer server = NatsServer.start(rendered.hubConfigs().getFirst(), port, monitorPort);
            RenderedHub hub = new RenderedHub(org, rendered, server, dir);
            Connection operator = hub.service(HubService.OPERATOR, new Violations());
            AssetApplier applier = new AssetApplier(operator.jetStreamManagement(),
                    operator.keyValueManagement(KeyValueOptions.builder().build()), org.subjects().assetPrefix());
            OrgAssets assets = OrgAssets.of(org, AssetLimits.defaults());
            applier.apply(assets, applier.plan(assets), false);
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A member (agent or human) connected directly to the hub with its own seed and inbox prefix. */
    public Connection member(String id, ErrorListener errors) {
        Path seed = rendered.agents().containsKey(id)
                ? rendered.agent(id).seed()
                : HubLayout.humanSeed(rendered.outDir(), id);
        return connect(Options.builder().authHandler(Nats.credentials(null, seed.toString()))
                .inboxPrefix(Permissions.inboxPrefix(id)), errors);
    }

    /** A service of the company (vault-bridge, hub-bootstrap, the operator) connected with its credential. */
    public Connection service(HubService service, ErrorListener errors) {
        Path seed = HubLayout.serviceSeed(rendered.outDir(), org.company(), service);
        return connect(Options.builder().authHandler(Nats.credentials(null, seed.toString())), errors);
    }

    /** An agent's signing key (its NKey seed), as its runtime holds it. */
    public NKey agentKey(String agent) {
        try {
            return NKey.fromSeed(Files.readString(rendered.agent(agent).seed()).strip().toCharArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Connection connect(Options.Builder builder, ErrorListener errors) {
        try {
            Connection c = Nats.connect(builder.server(server.clientUrl()).errorListener(errors)
                    .connectionTimeout(Duration.ofSeconds(5)).maxReconnects(0).build());
            connections.add(c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        server.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is not worth failing a test for
        }
    }

    /** Collects the server's {@code -ERR} lines (permission violations) of one connection. */
    public static final class Violations implements ErrorListener {
        public final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void errorOccurred(Connection conn, String error) {
            messages.add(error);
        }

        /** What was collected so far, and forget it. */
        public synchronized List<String> drain() {
            List<String> out = new ArrayList<>(messages);
            messages.removeAll(out);
            return out;
        }
    }
}
