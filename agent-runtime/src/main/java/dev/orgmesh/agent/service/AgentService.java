package dev.orgmesh.agent.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.NKey;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.agent.artifact.ArtifactStore;
import dev.orgmesh.agent.artifact.ArtifactStores;
import dev.orgmesh.agent.artifact.ObjectStoreArtifacts;
import dev.orgmesh.agent.artifact.S3Artifacts;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.boot.LeafSupervisor;
import dev.orgmesh.agent.brain.ArtifactStage;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.factory.Brains;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.agent.secret.AgentSecrets;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.service.NatsClient;
import dev.orgmesh.service.ServiceStart;

/**
 * The Quarkus entry point, kept thin: at start it reads the soul (org file + id, failing fast on an unknown agent or
 * a hub URL on the client port), materializes the workspace, makes the brain from the soul's {@code brain} settings
 * (failing fast on a wrong one), waits for the NATS connection and starts the plain {@link AgentRuntime} with the
 * brain behind the artifact stage; at shutdown it stops the runtime gracefully.
 */
@ApplicationScoped
public class AgentService {
    private static final Logger LOG = Logger.getLogger(AgentService.class);

    private final NatsClient nats;
    private final AgentConfig config;
    private final MeterRegistry registry;
    private final OpenTelemetry otel;
    private volatile AgentRuntime runtime;
    private volatile AgentSoul soul;
    private volatile Workspace workspace;
    private volatile Handler brain;
    private final ServiceStart start;
    private volatile AgentSecrets secrets;
    private volatile LeafSupervisor leaf;
    private volatile Map<String, S3Artifacts.Settings> s3Settings = Map.of();

    public AgentService(NatsClient nats, AgentConfig config, MeterRegistry registry, OpenTelemetry otel) {
        this.nats = nats;
        this.config = config;
        this.registry = registry;
        this.otel = otel;
        this.start = new ServiceStart("agent-runtime", nats, ErrorCode.NATS_UNAVAILABLE);
    }

    void onStart(@Observes StartupEvent ev) {
        soul = AgentSoul.load(config.orgFile(), config.id(), config.hubUrl());
        LOG.infof("agent %s (%s) of %s; hub %s", soul.agent().id(), soul.agent().role(), soul.org().company(),
                soul.hubUrl().orElse("(not set)"));
        RuntimeOptions plain = config.options();
        workspace = Workspace.at(config.workspace().orElseGet(() -> Path.of(System.getProperty("user.home"),
                ".orgmesh", "workspaces", soul.org().company(), soul.agent().id())));
        workspace.materialize(soul, plain.loopLimits());
        // the outbox's journal beside the workspace, not in it: a command brain works in the workspace
        RuntimeOptions options = config.outboxJournal().enabled()
                ? plain.withOutboxJournal(config.outboxJournal().dir().orElseGet(() -> workspace.dir()
                        .toAbsolutePath().getParent().resolve(soul.agent().id() + "-outbox")))
                : plain;
        Path baseDir = config.orgFile().toAbsolutePath().getParent();
        config.leaf().conf().ifPresent(conf -> {
            Path log = config.leaf().log().orElseGet(() -> workspace.dir().toAbsolutePath().getParent().resolve(
                    soul.agent().id() + "-leaf.log"));
            leaf = new LeafSupervisor(config.leaf().natsServer(), conf, log,
                    new Backoff(Duration.ofMillis(500),
                            Duration.ofSeconds(30)))
                    .start();
        });
        s3Settings = config.s3Stores(); // a wrong endpoint fails the boot, not the first message
        secrets = secretsOf(soul);
        SecretLogFilter.use(secrets);
        AgentSecrets s = secrets;
        brain = Brains.create(new Brains.Setup(soul, workspace, baseDir, s != null ? s::current : Map::of));
        start.run(c -> startWhenConnected(c, options));
    }

    void onStop(@Observes ShutdownEvent ev) {
        start.close();
        AgentRuntime r = runtime;
        if (r != null) {
            r.close(config.shutdownGrace());
        }
        // the leaf last: the runtime's outbox drains through it
        LeafSupervisor l = leaf;
        if (l != null) {
            l.close();
        }
    }

    private void startWhenConnected(Connection c, RuntimeOptions options) throws InterruptedException {
        String bucket = soul.org().subjects().artifactBucket();
        AgentSecrets s = secrets;
        ArtifactStores store = new ArtifactStores(new ObjectStoreArtifacts(c,
                NatsConnector.jetStreamOptions(nats.settings()), bucket), s3Stores(s));
        Handler handler = new ArtifactStage(brain, workspace, store, bucket);
        if (s != null) {
            s.followRotations(c);
            s.fetch(c, config.secretsPatience()); // before the first message reaches the brain
        }
        AgentRuntime r = new AgentRuntime(c, nats.settings(), soul, handler, options, registry, null, otel)
                .heartbeatChecklist(workspace.dir().resolve("HEARTBEAT.md"));
        if (s != null) {
            r.filterOutgoing(s::scrub);
        }
        r.actionTools(s != null ? s::current : Map::of, workspace.dir());
        runtime = r.start();
    }

    /** The S3-compatible stores configured for {@code r2://} and {@code s3://}; the credentials come from the secrets. */
    private Map<String, ArtifactStore> s3Stores(AgentSecrets s) {
        Map<String, ArtifactStore> out = new HashMap<>();
        s3Settings.forEach((scheme, settings) -> {
            LOG.infof("%s:// artifacts are in the S3-compatible store at %s (region %s, %s style; credentials from %s"
                    + " and %s)", scheme, settings.endpoint(), settings.region(),
                    settings.pathStyle()
                            ? "path"
                            : "virtual-host",
                    settings.accessKeySecret(), settings.secretKeySecret());
            for (String name : List.of(settings.accessKeySecret(), settings.secretKeySecret())) {
                if (!soul.agent().secrets().contains(name) && System.getenv(name) == null) {
                    LOG.warnf("%s:// artifacts need %s, which is neither among %s's secrets in the org file nor in"
                            + " the environment: fetching and publishing them will fail", scheme, name,
                            soul.agent().id());
                }
            }
            out.put(scheme, new S3Artifacts(settings, s != null ? s::current : Map::of));
        });
        return out;
    }

    /** The agent's secrets client when its soul lists secrets and its NKey seed is configured. */
    private AgentSecrets secretsOf(AgentSoul soul) {
        if (soul.agent().secrets().isEmpty()) {
            return null;
        }
        if (config.nkeyFile().isEmpty()) {
            LOG.warnf("%s %s lists secrets (%s) but orgmesh.agent.nkey-file is not set: its vault requests cannot be"
                    + " signed, so its brain runs without them", ErrorCode.VAULT_BAD_SIGNATURE.label(),
                    soul.agent().id(), String.join(", ", soul.agent().secrets()));
            return null;
        }
        Path file = config.nkeyFile().get();
        try {
            char[] seed = Files.readString(file).strip().toCharArray();
            NKey key = NKey.fromSeed(seed);
            Arrays.fill(seed, ' ');
            return new AgentSecrets(soul.agent(), soul.org().subjects(), key, otel);
        } catch (IOException | RuntimeException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE,
                    "cannot read the agent's NKey seed " + file + ": " + e.getMessage(), e);
        }
    }

    /** Why the runtime has not started (waiting for NATS, fetching secrets, a failure), or empty once it has. */
    public Optional<String> startProblem() {
        return start.problem();
    }

    /** The running runtime, once started. */
    public Optional<AgentRuntime> runtime() {
        return Optional.ofNullable(runtime);
    }

    /** The supervised local leaf, when {@code orgmesh.agent.leaf.conf} is set. */
    public Optional<LeafSupervisor> leaf() {
        return Optional.ofNullable(leaf);
    }

    /** The soul read at start. */
    public Optional<AgentSoul> soul() {
        return Optional.ofNullable(soul);
    }

    /** The workspace materialized at start. */
    public Optional<Workspace> workspace() {
        return Optional.ofNullable(workspace);
    }
}
