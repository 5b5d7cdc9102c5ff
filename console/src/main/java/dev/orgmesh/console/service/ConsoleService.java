package dev.orgmesh.console.service;

import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.console.live.Decisions;
import dev.orgmesh.console.live.LiveState;
import dev.orgmesh.console.live.NatsFollower;
import dev.orgmesh.messaging.NatsClient;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.assets.OrgDocument;
import dev.orgmesh.messaging.ops.DeadLetterOps;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * Entry point: once NATS is up, loads the org (a file, or the org stored on the hub, followed live) and starts the
 * {@link NatsFollower} that keeps the {@link LiveState} current. The HTTP API reads the state and sends decisions and
 * replays through here.
 */
@ApplicationScoped
public class ConsoleService {
    private static final Logger LOG = Logger.getLogger(ConsoleService.class);

    private final NatsClient nats;
    private final ConsoleConfig config;
    private final LiveState state;
    private volatile Thread starter;
    private volatile NatsFollower follower;
    private volatile NatsKeyValueWatchSubscription orgWatch;

    public ConsoleService(NatsClient nats, ConsoleConfig config) {
        this.nats = nats;
        this.config = config;
        this.state = new LiveState(InstantSource.system(), config.feedSize());
    }

    void onStart(@Observes StartupEvent ev) {
        if (config.orgFile().isEmpty() && config.company().isEmpty()) {
            LOG.warnf("%s no org: set orgmesh.console.org-file or orgmesh.console.company; the page stays empty",
                    ErrorCode.ORG_UNREADABLE.label());
            return;
        }
        starter = Thread.ofVirtual().name("console-start").start(this::begin);
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (starter != null) {
            starter.interrupt();
        }
        if (orgWatch != null) {
            try {
                orgWatch.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribing the org watch: %s", e.toString());
            }
        }
        if (follower != null) {
            follower.close();
        }
    }

    /** What the page shows. */
    public LiveState state() {
        return state;
    }

    /** The human whose name goes on decisions: configured, else the org's first human. */
    public Optional<String> decider() {
        return config.human().filter(h -> !h.isBlank())
                .or(() -> state.org().flatMap(o -> o.humans().stream().findFirst().map(Human::id)));
    }

    /** Sends approvals to the desk; {@code NATS_UNAVAILABLE} until connected and the org is loaded. */
    public Decisions decisions() {
        return new Decisions(nats.require(), subjects(), config.requestTimeout());
    }

    /** Reads and replays dead letters with the operator's connection. */
    public DeadLetterOps deadLetters() {
        return new DeadLetterOps(nats.jetStream(), nats.jetStreamManagement(), subjects());
    }

    /** How many dead letters the table shows. */
    public int deadLetterLimit() {
        return config.deadLetterLimit();
    }

    private Subjects subjects() {
        return state.org().map(Org::subjects).orElseThrow(
                () -> new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "the console has not loaded the org yet"));
    }

    private void begin() {
        try {
            Connection c = nats.awaitConnected();
            Subjects s;
            if (config.orgFile().isPresent()) {
                Org org = OrgLoader.load(config.orgFile().get());
                state.setOrg(org);
                s = org.subjects();
            } else {
                s = Subjects.of(config.company().get());
                KeyValue kv = awaitBucket(c, s.orgBucket());
                orgWatch = OrgDocument.watch(kv, text -> {
                    try {
                        state.setOrg(OrgLoader.parse(text, "stored org"));
                    } catch (OrgInvalidException ex) {
                        LOG.errorf("%s stored org is invalid; keeping the previous one. %s", ex.code().label(),
                                ex.getMessage());
                    }
                });
            }
            NatsFollower f = new NatsFollower(c, nats.settings(), state);
            f.start(s);
            follower = f;
            LOG.infof("console follows %s", s.company());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            LOG.errorf(ex, "the console could not start");
        }
    }

    private KeyValue awaitBucket(Connection c, String bucket) throws InterruptedException {
        while (true) {
            try {
                KeyValue kv = c.keyValue(bucket, KeyValueOptions.builder()
                        .jetStreamOptions(NatsConnector.jetStreamOptions(nats.settings())).build());
                kv.getStatus();
                return kv;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("org bucket %s not there yet: %s", bucket, e.toString());
                Thread.sleep(Duration.ofSeconds(1));
            }
        }
    }
}
