package dev.orgmesh.service;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.impl.NatsKeyValueWatchSubscription;

import dev.orgmesh.assets.OrgDocument;
import dev.orgmesh.messaging.BucketWait;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * The start-up every orgmesh service shares. A service's {@code StartupEvent} observer makes one, starts its work
 * on a virtual thread that first waits for NATS (so the service comes up, not ready, while NATS is away), and
 * closes it at shutdown. The work loads or follows the org with {@link #followOrg} and waits for buckets with
 * {@link #awaitBucket}; whatever stops it is logged once with its code and kept as {@link #problem()} for the
 * readiness check.
 *
 * <pre>{@code
 * start = new ServiceStart("heartbeat", nats, ErrorCode.HEARTBEAT_BAD_SCHEDULE);
 * start.run(c -> start.followOrg(c, config, engine::setOrg));
 * }</pre>
 */
public final class ServiceStart implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ServiceStart.class);

    /** What a service does once connected. */
    @FunctionalInterface
    public interface Work {
        /** Starts the service's parts on {@code connection}; return normally once they run. */
        void run(Connection connection) throws Exception;
    }

    private final String name;
    private final NatsClient nats;
    private final ErrorCode failure;
    private final List<NatsKeyValueWatchSubscription> watches = new CopyOnWriteArrayList<>();
    private volatile Duration connectWithin;
    private volatile Consumer<OrgmeshException> onFailure = e -> {
    };
    private volatile Thread thread;
    private volatile String problem = "starting";

    /**
     * @param name the service, in thread names and log lines ({@code heartbeat}, {@code vault-bridge} …)
     * @param nats the service's connection
     * @param failure the code logged when the work fails with an exception that carries none of its own
     */
    public ServiceStart(String name, NatsClient nats, ErrorCode failure) {
        this.name = name;
        this.nats = nats;
        this.failure = failure;
    }

    /**
     * Whether {@code source} names an org; when it does not, logs {@code code} with the keys to set under
     * {@code prefix} and {@code consequence}, and keeps that as the problem.
     */
    public boolean orgNamed(OrgSource source, String prefix, ErrorCode code, String consequence) {
        if (source.named()) {
            return true;
        }
        problem = "no org: set " + prefix + ".org-file or " + prefix + ".company";
        LOG.warnf("%s %s; %s", code.label(), problem, consequence);
        return false;
    }

    /**
     * Gives up waiting for NATS after {@code grace} with {@code NATS_UNAVAILABLE} (for one-shot runs); without it
     * the start waits as long as it takes.
     */
    public ServiceStart connectWithin(Duration grace) {
        this.connectWithin = grace;
        return this;
    }

    /** Called, after the log line, when the start fails with a code (hub-bootstrap exits on it in release-only). */
    public ServiceStart onFailure(Consumer<OrgmeshException> handler) {
        this.onFailure = handler;
        return this;
    }

    /** Starts {@code work} on a virtual thread named {@code <name>-start} once NATS is up. */
    public ServiceStart run(Work work) {
        thread = Thread.ofVirtual().name(name + "-start").start(() -> runNow(work));
        return this;
    }

    private void runNow(Work work) {
        try {
            problem = "waiting for NATS at " + nats.settings().url();
            Connection c = connect();
            problem = "starting";
            work.run(c);
            problem = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (OrgmeshException e) {
            problem = e.getMessage();
            LOG.errorf("%s %s did not start: %s", e.code().label(), name, e.getMessage());
            onFailure.accept(e);
        } catch (Exception e) {
            problem = e.toString();
            LOG.errorf(e, "%s %s did not start: %s", failure.label(), name, e.toString());
            onFailure.accept(new OrgmeshException(failure, name + " did not start: " + e, e));
        }
    }

    private Connection connect() throws InterruptedException {
        Duration grace = connectWithin;
        if (grace == null) {
            return nats.awaitConnected();
        }
        return nats.awaitConnected(grace).orElseThrow(() -> new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                "NATS at " + nats.settings().url() + " not reachable within " + grace));
    }

    /**
     * Gives {@code onOrg} the org: the file's, once, or every valid version of the org stored on the hub (waiting for
     * its bucket first), from the current one on. An invalid stored version is logged and skipped, so the service
     * keeps the previous one. Returns the company's subjects, known before the first stored version arrives.
     */
    public Subjects followOrg(Connection connection, OrgSource source, Consumer<Org> onOrg)
            throws InterruptedException {
        if (source.orgFile().isPresent()) {
            Org org = OrgLoader.load(source.orgFile().get());
            onOrg.accept(org);
            return org.subjects();
        }
        Subjects s = Subjects.of(source.company().orElseThrow(() -> new OrgmeshException(ErrorCode.ORG_UNREADABLE,
                name + " has neither an org file nor a company")));
        KeyValue kv = awaitBucket(connection, s.orgBucket());
        watches.add(OrgDocument.watch(kv, text -> {
            try {
                onOrg.accept(OrgLoader.parse(text, "stored org"));
            } catch (OrgInvalidException e) {
                LOG.errorf("%s the stored org of %s is invalid; %s keeps the previous one. %s", e.code().label(),
                        s.company(), name, e.getMessage());
            }
        }));
        return s;
    }

    /** Unsubscribes {@code watch} at {@link #close()}. */
    public NatsKeyValueWatchSubscription keep(NatsKeyValueWatchSubscription watch) {
        watches.add(watch);
        return watch;
    }

    /** The bucket once it exists (see {@link BucketWait}); the wait is the problem meanwhile. */
    public KeyValue awaitBucket(Connection connection, String bucket) throws InterruptedException {
        String before = problem;
        problem = "waiting for bucket " + bucket;
        KeyValue kv = BucketWait.await(connection, nats.settings(), bucket, name);
        problem = before;
        return kv;
    }

    /** Why the service has not started, or empty once its work returned. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /** Stops waiting and stops following the stored org. */
    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        for (NatsKeyValueWatchSubscription w : watches) {
            try {
                w.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribing the org watch: %s", e.toString());
            }
        }
    }
}
