package dev.orgmesh.console.service;

import java.time.InstantSource;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.console.live.Decisions;
import dev.orgmesh.console.live.FeedEntry;
import dev.orgmesh.console.live.LiveState;
import dev.orgmesh.console.live.NatsFollower;
import dev.orgmesh.messaging.ops.DeadLetterOps;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.service.NatsClient;
import dev.orgmesh.service.ServiceStart;
import dev.orgmesh.service.channel.ChannelSubjects;

/**
 * Entry point: once NATS is up, loads the org (a file, or the org stored on the hub, followed live), starts the
 * {@link NatsFollower} that keeps the {@link LiveState}'s buckets current and gives the {@link FeedChannel} its subject,
 * {@code {co}.>}. The HTTP API reads the state and sends decisions and replays through here.
 */
@ApplicationScoped
public class ConsoleService {
    private static final Logger LOG = Logger.getLogger(ConsoleService.class);

    private final NatsClient nats;
    private final ConsoleConfig config;
    private final LiveState state;
    private final ChannelSubjects channels;
    private final ServiceStart start;
    private volatile NatsFollower follower;

    public ConsoleService(NatsClient nats, ConsoleConfig config, ConsoleMetrics metrics, ChannelSubjects channels) {
        this.nats = nats;
        this.config = config;
        this.channels = channels;
        this.state = new LiveState(InstantSource.system(), config.feedSize());
        state.addListener(new LiveState.Listener() {
            @Override
            public void message(FeedEntry entry) {
                metrics.feedMessage();
            }

            @Override
            public void changed(String what) {
                // counted elsewhere, if at all: the page refetches
            }
        });
        this.start = new ServiceStart("console", nats, ErrorCode.NATS_UNAVAILABLE);
    }

    void onStart(@Observes StartupEvent ev) {
        if (start.orgNamed(config, "orgmesh.console", ErrorCode.ORG_UNREADABLE, "the page stays empty")) {
            start.run(this::begin);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        start.close();
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

    private void begin(Connection c) throws InterruptedException {
        Subjects s = start.followOrg(c, config, state::setOrg);
        NatsFollower f = new NatsFollower(c, nats.settings(), state);
        f.start(s);
        follower = f;
        channels.set(FeedChannel.NAME, s.company() + ".>");
        LOG.infof("console follows %s", s.company());
    }
}
