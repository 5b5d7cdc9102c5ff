package dev.orgmesh.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValueOptions;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.artifact.ArtifactStore;
import dev.orgmesh.agent.artifact.ArtifactStores;
import dev.orgmesh.agent.artifact.ObjectStoreArtifacts;
import dev.orgmesh.agent.artifact.S3Artifacts;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.ArtifactStage;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.factory.Brains;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.NatsServer;

/**
 * One company on a real hub for a test: the org applied to the hub (short {@code ack_wait} 2 s, {@code max_deliver}
 * 3), runtimes connected to leaves through the hub's JetStream domain, and a hub-side client to publish and inspect.
 */
public final class Fixture implements AutoCloseable {
    public static final String ORG = """
            company: %s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board }
              - { id: cto, role: role-cto, team: exec, reports_to: ceo, events: [deployment] }
              - { id: dev1, role: role-backend, team: eng, reports_to: cto }
              - { id: dev2, role: role-backend, team: eng, reports_to: cto }
              - { id: dev3, role: role-backend, team: eng, reports_to: cto }
            """;
    public static final Duration ACK_WAIT = Duration.ofSeconds(2);
    public static final int MAX_DELIVER = 3;

    public final Org org;
    public final Subjects subjects;
    public final Connection hubClient;
    public final JetStream js;
    public final JetStreamManagement jsm;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Fixture(Org org, Connection hubClient) throws IOException {
        this.org = org;
        this.subjects = org.subjects();
        this.hubClient = hubClient;
        this.js = hubClient.jetStream();
        this.jsm = hubClient.jetStreamManagement();
    }

    /** A fresh company on {@code topology}'s hub, streams in {@code storage}. */
    public static Fixture start(HubTopology topology, StorageType storage) throws Exception {
        return start(topology.hub(), storage);
    }

    /** A fresh company on {@code server}, streams in {@code storage}. */
    public static Fixture start(NatsServer server, StorageType storage) throws Exception {
        return start(server, OrgLoader.parse(ORG.formatted(randomCompany()), "test"), storage);
    }

    /** {@code org} applied on {@code server}, streams in {@code storage}. */
    public static Fixture start(NatsServer server, Org org, StorageType storage) throws Exception {
        Connection c = NatsConnector.connect(NatsSettings.of(server.clientUrl()).withName("test-hub-client"));
        Fixture f = new Fixture(org, c);
        apply(c, org, storage);
        return f;
    }

    /** Applies the org's assets with the test limits. */
    public static void apply(Connection c, Org org, StorageType storage) throws IOException {
        AssetApplier applier = new AssetApplier(c.jetStreamManagement(), c.keyValueManagement(
                KeyValueOptions.builder().build()), org.subjects().assetPrefix());
        OrgAssets assets = OrgAssets.of(org, limits(storage));
        applier.apply(assets, applier.plan(assets), false);
    }

    public static AssetLimits limits(StorageType storage) {
        Duration hour = Duration.ofHours(1);
        return new AssetLimits(1, storage, hour, hour, hour, hour, hour, Duration.ofMinutes(10), 1024 * 1024,
                ACK_WAIT, MAX_DELIVER, 256);
    }

    public static String randomCompany() {
        StringBuilder b = new StringBuilder("co");
        for (int i = 0; i < 8; i++) {
            b.append((char) ('a' + ThreadLocalRandom.current().nextInt(26)));
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    /** Fast test options: short pulls, quick naks, a beacon a second. */
    public static RuntimeOptions options() {
        return RuntimeOptions.defaults().withConcurrency(4).withFetchWait(Duration.ofMillis(500))
                .withBeaconInterval(Duration.ofSeconds(1))
                .withNakBackoff(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
    }

    /** A client on {@code leaf} using the hub's JetStream domain, as an agent machine has. */
    public static Connection leafClient(NatsServer leaf, String name) {
        return NatsConnector.connect(settings(leaf, name));
    }

    public static NatsSettings settings(NatsServer leaf, String name) {
        return NatsSettings.of(leaf.clientUrl()).withDomain(HubTopology.JS_DOMAIN).withName(name);
    }

    /** Starts agent {@code id} on {@code leaf}; closed with the fixture unless killed first. */
    public Running runtime(NatsServer leaf, String id, Handler handler, RuntimeListener listener,
            RuntimeOptions options) {
        return runtime(leaf, id, c -> handler, listener, options);
    }

    /** Starts agent {@code id} on {@code leaf}, its meters in {@code registry}. */
    public Running runtime(NatsServer leaf, String id, Handler handler, RuntimeListener listener,
            RuntimeOptions options, MeterRegistry registry) {
        return runtime(leaf, id, c -> handler, listener, options, registry);
    }

    /** Starts agent {@code id} on {@code leaf} with a handler made for its connection. */
    public Running runtime(NatsServer leaf, String id, Function<Connection, Handler> handler,
            RuntimeListener listener, RuntimeOptions options) {
        return runtime(leaf, id, handler, listener, options, new SimpleMeterRegistry());
    }

    private Running runtime(NatsServer leaf, String id, Function<Connection, Handler> handler,
            RuntimeListener listener, RuntimeOptions options, MeterRegistry registry) {
        Connection c = leafClient(leaf, "agent-" + id);
        AgentRuntime r = new AgentRuntime(c, settings(leaf, "agent-" + id), AgentSoul.of(org, id, Optional.empty()),
                handler.apply(c), options, registry, listener).start();
        Running running = new Running(r, c);
        closeables.add(running);
        return running;
    }

    /**
     * Starts agent {@code id} on {@code leaf} as the service does: its workspace materialized in
     * {@code workspaces/{id}}, the brain its org entry names (rules files read from {@code baseDir}) behind the
     * artifact stage (the company's object store bucket, through the leaf).
     */
    public Running agent(NatsServer leaf, String id, Path baseDir, Path workspaces, RuntimeListener listener,
            RuntimeOptions options) {
        return agent(leaf, id, baseDir, workspaces, Map.of(), listener, options);
    }

    /** As {@link #agent(NatsServer, String, Path, Path, RuntimeListener, RuntimeOptions)}, with these secrets. */
    public Running agent(NatsServer leaf, String id, Path baseDir, Path workspaces, Map<String, String> secrets,
            RuntimeListener listener, RuntimeOptions options) {
        return agent(leaf, id, baseDir, workspaces, secrets, Map.of(), listener, options);
    }

    /**
     * As {@link #agent(NatsServer, String, Path, Path, Map, RuntimeListener, RuntimeOptions)}, with S3-compatible
     * stores for {@code r2://} / {@code s3://} (as {@code orgmesh.agent.artifacts.*} configures them), their
     * credentials read from {@code secrets}.
     */
    public Running agent(NatsServer leaf, String id, Path baseDir, Path workspaces, Map<String, String> secrets,
            Map<String, S3Artifacts.Settings> s3, RuntimeListener listener, RuntimeOptions options) {
        AgentSoul soul = AgentSoul.of(org, id, Optional.empty());
        Workspace ws = Workspace.at(workspaces.resolve(id));
        ws.materialize(soul, options.loopLimits());
        Handler brain = Brains.create(new Brains.Setup(soul, ws, baseDir, () -> secrets));
        String bucket = subjects.artifactBucket();
        Map<String, ArtifactStore> stores = new java.util.HashMap<>();
        s3.forEach((scheme, settings) -> stores.put(scheme, new S3Artifacts(settings, () -> secrets)));
        Running running = runtime(leaf, id, c -> new ArtifactStage(brain, ws, new ArtifactStores(
                new ObjectStoreArtifacts(c, NatsConnector.jetStreamOptions(settings(leaf, id)), bucket), stores),
                bucket), listener, options);
        running.runtime().actionTools(() -> secrets, ws.dir());
        return running;
    }

    /** Reads everything a member's DM durable holds, from the hub side (that member must not be running). */
    public Inbox inbox(String member) throws Exception {
        return new Inbox(bind(subjects.inboxStream(), Subjects.inboxConsumer(member)));
    }

    /** A member's DM, read from the hub and kept: {@link #all()} fetches what is new and returns everything so far. */
    public static final class Inbox {
        private final JetStreamSubscription sub;
        private final List<Envelope> got = new ArrayList<>();

        Inbox(JetStreamSubscription sub) {
            this.sub = sub;
        }

        public synchronized List<Envelope> all() throws Exception {
            for (io.nats.client.Message m : sub.fetch(100, Duration.ofMillis(200))) {
                got.add(EnvelopeCodec.decode(m.getData()));
                m.ack();
            }
            return List.copyOf(got);
        }

        /** Everything so far of {@code type}. */
        public List<Envelope> ofType(String type) throws Exception {
            return all().stream().filter(e -> type.equals(e.type())).toList();
        }
    }

    /**
     * Publishes {@code e} from the hub side as its {@code from} says: a contract subject ({@code {co}.dm.cto}) gets the
     * sender token its leaf would add (ADR 0010); an attributed one is used as it is.
     */
    public void publish(String subject, Envelope e) throws Exception {
        js.publish(attributed(subject, e.from()), EnvelopeCodec.encode(e),
                PublishOptions.builder().messageId(e.id()).build());
    }

    /** Publishes raw bytes from the hub side, said by {@code from} when {@code subject} is a contract subject. */
    public void publishRaw(String subject, String from, byte[] body) throws Exception {
        js.publish(attributed(subject, from), body);
    }

    /**
     * {@code subject} as carried when said by {@code from}: attributed unless it already is or carries no sender (a
     * heartbeat tick, which only the heartbeat service may publish).
     */
    public String attributed(String subject, String from) {
        if (subjects.attribution(subject).isPresent() || subject.startsWith(subjects.company() + ".heartbeat.")) {
            return subject;
        }
        return subjects.attribute(subject, from);
    }

    /** A pull subscription bound to {@code durable} of {@code stream}, read from the hub side. */
    public JetStreamSubscription bind(String stream, String durable) throws Exception {
        String filter = jsm.getConsumerInfo(stream, durable).getConsumerConfiguration().getFilterSubject();
        return js.subscribe(filter, PullSubscribeOptions.bind(stream, durable));
    }

    /** Everything currently in the dead-letter stream. */
    public List<MessageInfo> deadLetters() throws Exception {
        List<MessageInfo> out = new ArrayList<>();
        long last = jsm.getStreamInfo(subjects.dlqStream()).getStreamState().getLastSequence();
        for (long seq = 1; seq <= last; seq++) {
            try {
                out.add(jsm.getMessage(subjects.dlqStream(), seq));
            } catch (io.nats.client.JetStreamApiException e) {
                // deleted or never there
            }
        }
        return out;
    }

    /** An envelope from {@code from} to {@code to}. */
    public static Envelope.Builder envelope(String from, String to, String type) {
        return Envelope.builder().from(from).to(to).type(type).ts(java.time.Instant.now());
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
        hubClient.close();
    }

    /** A runtime and the connection it runs on. */
    public record Running(AgentRuntime runtime, Connection connection) implements AutoCloseable {
        /** Crash: nothing more is acked or published, then the connection drops. */
        public void kill() throws InterruptedException {
            runtime.kill();
            connection.close();
        }

        @Override
        public void close() throws InterruptedException {
            if (connection.getStatus() != Connection.Status.CLOSED) {
                runtime.close(Duration.ofSeconds(2));
                connection.close();
            }
        }
    }
}
