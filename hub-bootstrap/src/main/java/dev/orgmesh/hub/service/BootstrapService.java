package dev.orgmesh.hub.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgApplier;
import dev.orgmesh.assets.OrgDocument;
import dev.orgmesh.hub.DeadLetterDesk;
import dev.orgmesh.hub.directory.Directory;
import dev.orgmesh.hub.directory.DirectoryService;
import dev.orgmesh.hub.metrics.HubMetrics;
import dev.orgmesh.hub.oversight.ApprovalDesk;
import dev.orgmesh.hub.oversight.BudgetDesk;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.service.NatsClient;
import dev.orgmesh.service.ServiceStart;

/**
 * The hub-bootstrap service: once NATS is up it applies the org (file, or the stored one), stores the org text,
 * serves the directory, and re-applies whenever the stored org changes. An invalid new org is refused with every
 * problem logged, and the last good org keeps being served. Nothing is ever pruned automatically.
 */
@ApplicationScoped
public class BootstrapService {
    private static final Logger LOG = Logger.getLogger(BootstrapService.class);

    private final NatsClient nats;
    private final BootstrapConfig config;
    private final AtomicReference<Org> current = new AtomicReference<>();
    private volatile DirectoryService directory;
    private final ServiceStart start;
    private final HubMetrics metrics;
    private DeadLetterDesk deadLetters;
    private volatile ApprovalDesk approvals;
    private volatile BudgetDesk budgets;
    /** Where dead-letter moves run: they block on JetStream calls. */
    private final ExecutorService moves = Executors
            .newVirtualThreadPerTaskExecutor();

    private final OpenTelemetry otel;

    public BootstrapService(NatsClient nats, BootstrapConfig config, MeterRegistry registry, OpenTelemetry otel) {
        this.nats = nats;
        this.otel = otel;
        this.config = config;
        this.metrics = new HubMetrics(registry);
        this.start = new ServiceStart("hub-bootstrap", nats, ErrorCode.APPLY_FAILED);
    }

    void onStart(@Observes StartupEvent ev) {
        if (config.releaseOnly()) {
            // the Fly release command: apply, then exit 0, or 1 on any failure (NATS away longer than the grace)
            start.connectWithin(config.connectGrace()).onFailure(e -> Quarkus.asyncExit(1));
        }
        start.run(this::run);
    }

    void onStop(@Observes ShutdownEvent ev) {
        start.close();
        if (directory != null) {
            directory.close();
        }
        if (approvals != null) {
            approvals.close();
        }
        if (budgets != null) {
            budgets.close();
        }
        synchronized (this) {
            if (deadLetters != null) {
                deadLetters.close();
            }
        }
    }

    /** The org being served, once applied. */
    public Optional<Org> org() {
        return Optional.ofNullable(current.get());
    }

    /** Why the org is not served yet (waiting for NATS, a failed apply), or empty once it is. */
    public Optional<String> startProblem() {
        return start.problem();
    }

    /** Whether the org is applied and the directory is serving. */
    public boolean isServing() {
        return directory != null;
    }

    private void run(Connection c) {
        OrgApplier applier = new OrgApplier(c, nats.settings());
        String text = initialText(applier);
        Org org = OrgLoader.parse(text, config.orgFile().map(Path::toString).orElse("stored org"));
        apply(applier, org, text);
        if (config.releaseOnly()) {
            LOG.info("release-only: applied; exiting");
            Quarkus.asyncExit(0);
            return;
        }
        directory = DirectoryService.start(c, new Directory(org), org.subjects(), "0.1.0", metrics);
        startDeadLetters(c, org);
        try {
            approvals = ApprovalDesk.start(c, nats.settings(), current::get, Clock.systemUTC(), Duration.ofSeconds(1),
                    metrics, otel);
            budgets = BudgetDesk.start(c, nats.settings(), current::get, metrics);
        } catch (IOException e) {
            LOG.errorf("%s approval or budget desk not started: %s", ErrorCode.NATS_UNAVAILABLE.label(),
                    e.getMessage());
        }
        LOG.infof("directory serving on %s", org.subjects().orgAll());
        start.keep(OrgDocument.watch(applier.orgBucket(org.subjects()), changed -> onChange(applier, changed)));
    }

    private String initialText(OrgApplier applier) {
        if (config.orgFile().isPresent()) {
            Path file = config.orgFile().get();
            try {
                return Files.readString(file);
            } catch (IOException e) {
                throw new OrgmeshException(ErrorCode.ORG_UNREADABLE,
                        "cannot read org file " + file + ": " + e.getMessage(), e);
            }
        }
        String company = config.company().orElseThrow(() -> new OrgmeshException(ErrorCode.ORG_UNREADABLE,
                "set orgmesh.bootstrap.org-file, or orgmesh.bootstrap.company to serve an org already stored on the hub"));
        String stored = OrgDocument.get(applier.orgBucket(Subjects.of(company)));
        if (stored == null) {
            throw new OrgmeshException(ErrorCode.ORG_UNREADABLE,
                    "no org stored for company " + company + "; apply one first");
        }
        return stored;
    }

    private void onChange(OrgApplier applier, String text) {
        try {
            Org next = OrgLoader.parse(text, "stored org");
            Org previous = current.get();
            if (previous != null && !previous.company().equals(next.company())) {
                LOG.errorf("%s the stored org names company '%s', this hub serves '%s'; ignored",
                        ErrorCode.ORG_INVALID.label(), next.company(), previous.company());
                return;
            }
            apply(applier, next, null);
            if (directory != null) {
                directory.replace(new Directory(next));
            }
            nats.connection().ifPresent(conn -> startDeadLetters(conn, next));
        } catch (OrgInvalidException e) {
            LOG.errorf("%s the stored org is invalid; still serving the previous one. %s", e.code().label(),
                    e.getMessage());
        } catch (OrgmeshException e) {
            LOG.errorf("%s re-applying the stored org failed: %s", e.code().label(), e.getMessage());
        }
    }

    private synchronized void startDeadLetters(Connection c, Org org) {
        if (deadLetters != null) {
            deadLetters.close();
        }
        try {
            deadLetters = DeadLetterDesk.start(c, nats.settings(), org, moves, metrics);
        } catch (IOException e) {
            LOG.errorf("%s dead-letter mover not started: %s", ErrorCode.NATS_UNAVAILABLE.label(), e.getMessage());
        }
    }

    private void apply(OrgApplier applier, Org org, String text) {
        OrgApplier.Result r = applier.apply(org, text, AssetLimits.defaults().withReplicas(config.replicas()), false);
        current.set(org);
        LOG.infof("applied org %s: %s%s", org.company(), r.plan().render().strip().replace('\n', ';'),
                r.orgStored() ? "; org stored" : "");
    }
}
