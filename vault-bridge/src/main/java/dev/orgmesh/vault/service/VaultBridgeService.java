package dev.orgmesh.vault.service;

import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValueOptions;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.service.NatsClient;
import dev.orgmesh.service.ServiceStart;
import dev.orgmesh.vault.backend.VaultKv2Backend;
import dev.orgmesh.vault.bridge.KvNonceLedger;
import dev.orgmesh.vault.bridge.NatsEvents;
import dev.orgmesh.vault.bridge.RotationWatcher;
import dev.orgmesh.vault.bridge.SecretService;
import dev.orgmesh.vault.bridge.VaultMetrics;
import dev.orgmesh.vault.bridge.VaultResponder;
import dev.orgmesh.vault.crypto.ReplayGuard;
import dev.orgmesh.vault.keys.AgentKeys;
import dev.orgmesh.vault.keys.RenderedAgentKeys;
import dev.orgmesh.vault.policy.SecretPolicy;
import dev.orgmesh.vault.store.EmbeddedStore;
import dev.orgmesh.vault.store.MasterKey;
import dev.orgmesh.vault.store.SecretBackend;

/**
 * Entry point, kept thin: once NATS is up, builds the backend, the policy (from the org file, or following the org
 * stored on the hub), the {@link SecretService} and starts the {@link VaultResponder} in queue group
 * {@value VaultResponder#QUEUE_GROUP} and the {@link RotationWatcher}. Ready when the responder is subscribed.
 */
@ApplicationScoped
public class VaultBridgeService {
    private static final Logger LOG = Logger.getLogger(VaultBridgeService.class);

    private final NatsClient nats;
    private final VaultBridgeConfig config;
    private final AtomicReference<SecretPolicy> policy = new AtomicReference<>();
    private volatile VaultResponder responder;
    private volatile RotationWatcher watcher;
    private volatile SecretBackend backend;
    private final ServiceStart start;
    private final VaultMetrics metrics;
    private final OpenTelemetry otel;

    public VaultBridgeService(NatsClient nats, VaultBridgeConfig config, MeterRegistry registry, OpenTelemetry otel) {
        this.nats = nats;
        this.otel = otel;
        this.config = config;
        this.metrics = new VaultMetrics(registry);
        this.start = new ServiceStart("vault-bridge", nats, ErrorCode.VAULT_BACKEND_UNAVAILABLE);
    }

    void onStart(@Observes StartupEvent ev) {
        if (start.orgNamed(config, "orgmesh.vault", ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                "the bridge does not answer")) {
            start.run(this::begin);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        start.close();
        if (watcher != null) {
            watcher.close();
        }
        if (responder != null) {
            responder.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** Whether requests are being answered. */
    public boolean isServing() {
        VaultResponder r = responder;
        return r != null && r.isServing();
    }

    /** Why the bridge is not serving, for the readiness check. */
    public String problem() {
        return isServing() ? null : start.problem().orElse("the responder is not subscribed");
    }

    /** The backend description, once built. */
    public Optional<String> backendDescription() {
        return Optional.ofNullable(backend).map(SecretBackend::describe);
    }

    private void begin(Connection c) throws InterruptedException, IOException {
        Subjects s = start.followOrg(c, config, org -> {
            policy.set(SecretPolicy.of(org));
            LOG.infof("vault policy of %s set from %s", org.company(), config.orgFile().isPresent()
                    ? "the org file"
                    : "the stored org");
        });
        String company = s.company();
        SecretBackend b = buildBackend(company);
        backend = b;
        AgentKeys keys = new RenderedAgentKeys(config.keysDir().orElseThrow(() -> new OrgmeshException(
                ErrorCode.VAULT_BAD_SIGNATURE, "orgmesh.vault.keys-dir is not set: agents' keys are unknown")));
        JetStreamOptions jso = NatsConnector.jetStreamOptions(nats.settings());
        NatsEvents events = new NatsEvents(c.jetStream(jso), s);
        if (config.clockSkew().multipliedBy(2).compareTo(OrgAssets.NONCE_MAX_AGE) > 0) {
            // a request stays valid from one skew before to one skew after the bridge's clock; the ledger must
            // remember its nonce at least that long, or a replay to another instance gets through
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "orgmesh.vault.clock-skew "
                    + config.clockSkew() + " is more than half the nonce ledger's memory ("
                    + OrgAssets.NONCE_MAX_AGE
                    + "); use at most " + OrgAssets.NONCE_MAX_AGE.dividedBy(2));
        }
        KvNonceLedger ledger = new KvNonceLedger(c, s.noncesBucket(),
                KeyValueOptions.builder().jetStreamOptions(jso).build());
        SecretService service = new SecretService(s, policy::get, keys, b,
                new ReplayGuard(config.clockSkew(), config.maxNonces(), InstantSource.system(), ledger), events)
                .metrics(metrics).tracing(otel);
        watcher = new RotationWatcher(b, policy::get, events).start(config.rotationPoll());
        responder = new VaultResponder(c, service, config.maxInFlight()).start(Duration.ofSeconds(5));
        LOG.infof("vault-bridge for %s serving from %s", company, b.describe());
    }

    private SecretBackend buildBackend(String company) {
        return switch (config.backend()) {
            case EMBEDDED -> new EmbeddedStore(config.storePath(), MasterKey.fromBase64(config.masterKey()
                    .orElse(null)));
            case VAULT -> {
                VaultBridgeConfig.VaultServer v = config.vault();
                String url = v.url().orElseThrow(() -> new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                        "orgmesh.vault.vault.url is not set"));
                yield new VaultKv2Backend(new VaultKv2Backend.Settings(url, v.mount(),
                        v.prefix().orElse("orgmesh/" + company), v.field(), v.token().orElse(null),
                        v.roleId().orElse(null), v.secretId().orElse(null), v.timeout()));
            }
        };
    }
}
