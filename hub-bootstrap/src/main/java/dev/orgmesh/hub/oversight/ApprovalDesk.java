package dev.orgmesh.hub.oversight;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.nats.service.Service;
import io.nats.service.ServiceEndpoint;
import io.nats.service.ServiceMessage;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;

import dev.orgmesh.hub.metrics.HubMetrics;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.messaging.flow.PullSource;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.envelope.Recipient;
import dev.orgmesh.protocol.org.ActionKind;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.ApprovalGate;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.RolePolicy;
import dev.orgmesh.render.Permissions;
import dev.orgmesh.render.UserPermissions;

/**
 * The approval desk (docs/oversight.md): turns hold requests from runtimes into {@link Approval} records, asks the
 * approvers, takes their decisions on {@code {co}.human.approve|deny}, releases approved messages to where they were
 * going and applies every gate's timeout behaviour — always reported, never silent.
 *
 * <p>Only this desk writes the approvals bucket, and every write is a compare-and-set on the record, so two desks (or
 * two humans) racing cannot both decide. A hold is acknowledged only after its record exists, so a crash loses none.
 *
 * <p>Traces: recording a hold is a span {@code orgmesh.approval.hold} continuing the held message's
 * {@code traceparent} (which the hold carries), and the record keeps the trace context; a decision (a human's or a
 * timeout's) is a span {@code orgmesh.approval.decision} in that trace, and a released message carries a
 * {@code traceparent} continuing it, so the recipient's handling joins the original trace. With OpenTelemetry off (the
 * default) no span is recorded and the released message's header is derived ({@link TraceContext}) from the kept one.
 */
public final class ApprovalDesk implements AutoCloseable {
    /** The service name in {@code $SRV} discovery. */
    public static final String NAME = "orgmesh-approvals";
    private static final Logger LOG = Logger.getLogger(ApprovalDesk.class);
    private static final String TIMEOUT = "timeout";
    private static final AttributeKey<String> APPROVAL = AttributeKey.stringKey("orgmesh.approval.id");
    private static final AttributeKey<String> GATE = AttributeKey.stringKey("orgmesh.approval.gate");
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("orgmesh.approval.status");
    private static final AttributeKey<String> DECIDED_BY = AttributeKey.stringKey("orgmesh.approval.decided_by");
    private static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("orgmesh.outcome");
    /** Reads the one header a W3C propagator asks for from a traceparent value. */
    private static final TextMapGetter<String> ONE_HEADER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of(HeaderNames.TRACEPARENT);
        }

        @Override
        public String get(String carrier, String key) {
            return HeaderNames.TRACEPARENT.equals(key) ? carrier : null;
        }
    };

    private final Connection connection;
    private final JetStream js;
    private final KeyValue approvals;
    private final Supplier<Org> org;
    private final Subjects subjects;
    private final Clock clock;
    private final PullSource holds;
    private final DeadLetters deadLetters;
    /** Reads the stored originals of holds (the audit and channel streams). */
    private final JetStreamManagement jsm;
    private final Service service;
    private final ScheduledExecutorService timer;
    /** Open approvals and when their gate's timeout applies; escalated ones are open but have no timeout left. */
    private final Map<String, Instant> due = new ConcurrentHashMap<>();
    private final HubMetrics metrics;
    private final Tracer tracer;

    private ApprovalDesk(Connection connection, NatsSettings settings, Supplier<Org> org, Clock clock,
            HubMetrics metrics, OpenTelemetry otel,
            Duration sweep) throws IOException {
        this.connection = connection;
        this.tracer = otel.getTracer("dev.orgmesh.hub");
        this.org = org;
        this.metrics = metrics;
        this.subjects = org.get().subjects();
        this.clock = clock;
        var jso = NatsConnector.jetStreamOptions(settings);
        this.js = connection.jetStream(jso);
        this.approvals = connection.keyValue(subjects.approvalsBucket(),
                KeyValueOptions.builder().jetStreamOptions(jso).build());
        load();
        this.jsm = connection.jetStreamManagement(jso);
        this.deadLetters = new DeadLetters(js, jsm, subjects, Duration.ofSeconds(5), Subjects.HUB_SENDER);
        this.holds = new PullSource("holds", js, connection.jetStreamManagement(jso), subjects.holdsStream(),
                Subjects.approvalDeskConsumer(), 16, Duration.ofSeconds(1), Backoff.defaults(), this::onHold);
        this.service = Service.builder()
                .connection(connection)
                .name(NAME)
                .version("0.1.0")
                .description("orgmesh approval desk for " + subjects.company())
                .addServiceEndpoint(endpoint("approve", subjects.humanApprove(Subjects.ANY), true))
                .addServiceEndpoint(endpoint("deny", subjects.humanDeny(Subjects.ANY), false))
                .build();
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("approval-timeouts").factory());
        timer.scheduleWithFixedDelay(this::sweepSafely, sweep.toMillis(), sweep.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts the desk for the org {@code org} supplies (it may change: gates are looked up on each hold). */
    public static ApprovalDesk start(Connection connection, NatsSettings settings, Supplier<Org> org, Clock clock,
            Duration sweep) throws IOException {
        return start(connection, settings, org, clock, sweep, HubMetrics.NONE);
    }

    /** As {@link #start(Connection, NatsSettings, Supplier, Clock, Duration)}, counting decisions in {@code metrics}. */
    public static ApprovalDesk start(Connection connection, NatsSettings settings, Supplier<Org> org, Clock clock,
            Duration sweep, HubMetrics metrics) throws IOException {
        return start(connection, settings, org, clock, sweep, metrics, OpenTelemetry.noop());
    }

    /**
     * As {@link #start(Connection, NatsSettings, Supplier, Clock, Duration, HubMetrics)}, recording a span per hold and
     * decision in {@code otel}.
     */
    public static ApprovalDesk start(Connection connection, NatsSettings settings, Supplier<Org> org, Clock clock,
            Duration sweep, HubMetrics metrics, OpenTelemetry otel) throws IOException {
        ApprovalDesk desk = new ApprovalDesk(connection, settings, org, clock, metrics, otel, sweep);
        desk.service.startService();
        desk.holds.start();
        LOG.infof("approval desk serving %s and %s, %d open approvals", desk.subjects.humanApprove(Subjects.ANY),
                desk.subjects.humanDeny(Subjects.ANY), desk.due.size());
        return desk;
    }

    private ServiceEndpoint endpoint(String name, String subject, boolean approve) {
        return ServiceEndpoint.builder().endpointName(name).endpointSubject(subject)
                .handler(msg -> onDecision(msg, approve)).build();
    }

    private void load() throws IOException {
        try {
            for (String key : approvals.keys()) {
                KeyValueEntry e = approvals.get(key);
                if (e != null && e.getValue() != null) {
                    Approval a = Approval.decode(e.getValue());
                    if (Approval.PENDING.equals(a.status())) {
                        due.put(a.id(), a.timeoutAt());
                    }
                }
            }
        } catch (JetStreamApiException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cannot read the approvals bucket: " + e.getMessage(), e);
        }
    }

    // ---- holds ---------------------------------------------------------------------------------------------------

    private void onHold(Message msg, Runnable release) {
        Thread.ofVirtual().name("hold").start(() -> {
            try {
                hold(msg);
                msg.ack();
            } catch (RuntimeException | IOException | JetStreamApiException e) {
                LOG.warnf("hold %s not recorded yet, will retry: %s", header(msg, HeaderNames.MSG_ID),
                        e.toString());
                msg.nakWithDelay(Duration.ofSeconds(1));
            } finally {
                release.run();
            }
        });
    }

    /**
     * Records one hold request; does nothing when its record exists (a redelivered or repeated hold). A span
     * {@code orgmesh.approval.hold} continuing the held message's {@code traceparent}, with the outcome: {@code held},
     * {@code exists}, or the code of a refusal.
     */
    void hold(Message msg) throws IOException, JetStreamApiException {
        Span span = tracer.spanBuilder("orgmesh.approval.hold").setSpanKind(SpanKind.CONSUMER)
                .setParent(parentOf(header(msg, HeaderNames.TRACEPARENT)))
                .setAttribute(APPROVAL, String.valueOf(header(msg, HeaderNames.MSG_ID)))
                .setAttribute(GATE, String.valueOf(header(msg, HeaderNames.HOLD_GATE))).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            recordHold(msg);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, e.toString());
            throw e;
        } finally {
            span.end();
        }
    }

    private void recordHold(Message msg) throws IOException, JetStreamApiException {
        String id = header(msg, HeaderNames.MSG_ID);
        String gateId = header(msg, HeaderNames.HOLD_GATE);
        String subject = header(msg, HeaderNames.HOLD_SUBJECT);
        Envelope env;
        JsonNode tree;
        try {
            tree = EnvelopeCodec.parse(msg.getData(), EnvelopeCodec.DEFAULT_MAX_BYTES);
            env = EnvelopeCodec.fromTree((ObjectNode) tree);
        } catch (OrgmeshException e) {
            LOG.warnf("%s hold %s is not an envelope, dropped from the desk (it stays in the audit stream): %s",
                    e.code().label(), id, e.getMessage());
            Span.current().setAttribute(OUTCOME, e.code().label());
            return;
        }
        if (id == null || gateId == null || subject == null || !id.equals(Approval.idFor(env.id(), gateId))) {
            LOG.warnf("%s hold on %s with id %s, gate %s, subject %s does not match its message %s; ignored",
                    ErrorCode.APPROVAL_BAD_REQUEST.label(), msg.getSubject(), id, gateId, subject, env.id());
            Span.current().setAttribute(OUTCOME, ErrorCode.APPROVAL_BAD_REQUEST.label());
            return;
        }
        Span.current().setAttribute(MESSAGE, String.valueOf(env.id()));
        if (approvals.get(id) != null) {
            Span.current().setAttribute(OUTCOME, "exists");
            return;
        }
        Org o = org.get();
        Optional<ActionKind> action = ActionKind.ofHoldGate(gateId);
        if (action.isPresent()) {
            holdAction(msg, id, env, tree, subject, action.get(), o);
            return;
        }
        Optional<ApprovalGate> gate = o.oversight().approvals().stream().filter(g -> g.id().equals(gateId))
                .findFirst();
        Instant now = clock.instant();
        String recipient = Optional.ofNullable(header(msg, HeaderNames.HOLD_RECIPIENT))
                .orElse(env.to());
        if (gate.isEmpty()) {
            // Fails closed: a hold for a gate the org does not define is never released (a removed gate's held
            // messages too: the dead letter keeps the message and the reason for a human to see).
            refuse(msg, ErrorCode.APPROVAL_UNKNOWN_GATE, "hold " + id + " of message " + env.id() + " from "
                    + env.from() + " to " + recipient + " names gate '" + gateId + "', which " + o.company()
                    + " does not define; refused, not released");
            return;
        }
        Optional<String> forbidden = holdProblem(o, msg.getSubject(), env, recipient, subject)
                .or(() -> storedProblem(msg, subject))
                .or(() -> gateProblem(o, msg.getSubject(), env, recipient, gate.get()));
        if (forbidden.isPresent()) {
            refuse(msg, ErrorCode.APPROVAL_FORBIDDEN_RELEASE, "hold " + id + " of message " + env.id() + " (gate '"
                    + gateId + "', to " + recipient + ") would be released to " + subject + ", but "
                    + forbidden.get() + "; refused, not released");
            return;
        }
        ApprovalGate g = gate.get();
        Approval a = new Approval(id, g.id(), Approval.PENDING, subject, env.id(), env.from(), recipient, env.type(),
                summary(env), tree, g.approvers(), now, now.plus(g.timeout()), g.onTimeout().wire(), null, null, null,
                heldTrace(msg));
        open(a, "Gate '" + g.id() + "' holds " + describe(a));
    }

    /** Records a pending approval and asks its approvers; does nothing when another desk recorded it first. */
    private void open(Approval a, String what) throws IOException, JetStreamApiException {
        String id = a.id();
        try {
            approvals.create(id, a.encode());
        } catch (JetStreamApiException e) {
            if (approvals.get(id) != null) {
                Span.current().setAttribute(OUTCOME, "exists");
                return; // another desk recorded it first
            }
            throw e;
        }
        Span.current().setAttribute(OUTCOME, "held");
        due.put(id, a.timeoutAt());
        for (String approver : a.approvers()) {
            dm(approver, "approval.request", Priority.HIGH, "Approval needed: " + a.summary(),
                    what + ". Approve with `orgmesh approve " + id
                            + "` or deny with `orgmesh deny " + id + " --reason ...` (or in the console). If nobody"
                            + " decides by " + a.timeoutAt() + " the gate will " + a.onTimeout() + " it.",
                    a, "-ask-" + approver);
        }
        event("approval.requested", a);
        LOG.infof("held %s as %s (gate %s, %s on timeout at %s)", a.messageId(), id, a.gate(), a.onTimeout(),
                a.timeoutAt());
    }

    /**
     * A message an agent's own action produced, which its role may send only with approval
     * ({@code roles.<role>.actions.<action>: approval}): filed by that agent before it leaves, so the desk checks that
     * the filer is its sender, that the role really holds that action, and that the sender could send it if the action
     * were allowed. Every human of the org may decide; nobody deciding within {@link #ACTION_HOLD_TIMEOUT} denies it.
     */
    private void holdAction(Message msg, String id, Envelope env, JsonNode tree, String subject, ActionKind kind,
            Org o) throws IOException, JetStreamApiException {
        String recipient = Optional.ofNullable(header(msg, HeaderNames.HOLD_RECIPIENT)).orElse(env.to());
        Optional<String> forbidden = actionHoldProblem(o, msg.getSubject(), env, recipient, subject, kind);
        if (forbidden.isPresent()) {
            refuse(msg, ErrorCode.APPROVAL_FORBIDDEN_RELEASE, "hold " + id + " of message " + env.id() + " ("
                    + kind.wire() + " action, to " + recipient + ") would be released to " + subject + ", but "
                    + forbidden.get() + "; refused, not released");
            return;
        }
        Instant now = clock.instant();
        List<String> approvers = o.humans().stream().map(Human::id).toList();
        Approval a = new Approval(id, kind.holdGate(), Approval.PENDING, subject, env.id(), env.from(), recipient,
                env.type(), summary(env), tree, approvers, now, now.plus(ACTION_HOLD_TIMEOUT),
                ApprovalGate.OnTimeout.DENY.wire(), null, null, null, heldTrace(msg));
        open(a, env.from() + "'s role needs approval for its " + kind.wire() + " action: " + describe(a));
    }

    /** How long a held action waits for a human before it is denied. */
    static final Duration ACTION_HOLD_TIMEOUT = Duration.ofHours(24);

    /**
     * Why a held action may not be recorded, if it may not: only the acting agent files it (the hold subject's sender
     * is the message's {@code from} and the release subject's sender), its role holds that action for approval, the
     * release subject is where a message to {@code recipient} goes, and the sender could publish there were the action
     * allowed.
     */
    static Optional<String> actionHoldProblem(Org o, String holdSubject, Envelope env, String recipient,
            String release, ActionKind kind) {
        Subjects s = o.subjects();
        String filer = s.attribution(holdSubject).map(Subjects.Attribution::sender).orElse(null);
        if (filer == null || !filer.equals(env.from())) {
            return Optional.of("an action is held by the agent that takes it, and '" + filer
                    + "' filed a message from '" + env.from() + "'");
        }
        Optional<Agent> agent = o.agent(filer);
        if (agent.isEmpty()) {
            return Optional.of("'" + filer + "' is not an agent of " + o.company());
        }
        if (o.policy(agent.get().role()).permission(kind) != RolePolicy.Permission.APPROVAL) {
            return Optional.of("role " + agent.get().role() + " does not hold its " + kind.wire()
                    + " action for approval");
        }
        Optional<Subjects.Attribution> carried = s.attribution(release);
        if (carried.isEmpty() || !carried.get().sender().equals(filer)) {
            return Optional.of(release + " is not a subject '" + filer + "' speaks on");
        }
        Optional<String> destination = destinationOf(o, recipient);
        if (destination.filter(carried.get().contract()::equals).isEmpty()) {
            return Optional.of("a message to " + recipient + " goes to "
                    + destination.orElse("no subject of " + o.company()));
        }
        return releaseProblem(o, agent.get(), kind, release);
    }

    /** {@link #releaseProblem(Org, String, String)} for an agent whose role were allowed {@code kind}. */
    static Optional<String> releaseProblem(Org o, Agent a, ActionKind kind, String subject) {
        UserPermissions p = Permissions.forAgent(o, a, o.policy(a.role()).allowing(kind));
        if (subject == null || !p.allowsPublish(subject)) {
            return Optional.of(a.id() + " may not publish to " + subject + " even with its " + kind.wire()
                    + " action allowed");
        }
        return Optional.empty();
    }

    /** Why the desk may not release {@code a}, if it may not (an action hold is checked as its action allowed). */
    static Optional<String> releaseProblem(Org o, Approval a) {
        Optional<ActionKind> kind = ActionKind.ofHoldGate(a.gate());
        Optional<Agent> agent = o.agent(a.from());
        if (kind.isPresent() && agent.isPresent()) {
            return releaseProblem(o, agent.get(), kind.get(), a.subject());
        }
        return releaseProblem(o, a.from(), a.subject());
    }

    // ---- decisions -----------------------------------------------------------------------------------------------

    private void onDecision(ServiceMessage msg, boolean approve) {
        try {
            Approval.Decision req = decision(msg.getData());
            String id = req.id();
            String by = req.by();
            String reason = req.reason();
            // the decider is who the hub let publish on {co}.human.approve.{human}: only that human (or the
            // operator, who speaks for anyone) may; what the request body says is checked against it, never trusted
            String decider = subjects.attribution(msg.getSubject()).map(Subjects.Attribution::sender).orElse(null);
            if (decider == null) {
                throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST, "a decision comes on "
                        + subjects.humanApprove("<human>") + " or " + subjects.humanDeny("<human>") + ", not on "
                        + msg.getSubject());
            }
            if (by != null && !by.equals(decider)) {
                throw new OrgmeshException(ErrorCode.APPROVAL_NOT_APPROVER,
                        decider + " may not decide on behalf of " + by);
            }
            by = decider;
            if (!approve && (reason == null || reason.isBlank())) {
                throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST,
                        "a denial needs a reason: {\"reason\": \"...\"}");
            }
            Approval done = decide(id, by, approve, reason);
            msg.respond(connection, done.encode());
        } catch (OrgmeshException e) {
            LOG.infof("%s %s on %s: %s", e.code().label(), approve ? "approval" : "denial", msg.getSubject(),
                    e.getMessage());
            Replies.error(connection, msg.getReplyTo(), e);
        } catch (RuntimeException | IOException | JetStreamApiException e) {
            LOG.warnf(e, "decision on %s failed", msg.getSubject());
            Replies.error(connection, msg.getReplyTo(),
                    new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST, "the decision was not recorded: " + e));
        }
    }

    /** A human's decision; the record changes only if it is still open (compare-and-set). */
    Approval decide(String id, String by, boolean approve, String reason) throws IOException, JetStreamApiException {
        if (!Subjects.SAFE_TOKEN.matcher(id).matches()) {
            throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST, "'" + id + "' is not an approval id");
        }
        KeyValueEntry entry = approvals.get(id);
        if (entry == null || entry.getValue() == null) {
            throw new OrgmeshException(ErrorCode.APPROVAL_UNKNOWN, "no held message with approval id '" + id + "'");
        }
        Approval a = Approval.decode(entry.getValue());
        if (!a.open()) {
            throw new OrgmeshException(ErrorCode.APPROVAL_ALREADY_DECIDED,
                    id + " is already " + a.status() + (a.decidedBy() != null ? " by " + a.decidedBy() : ""));
        }
        Org o = org.get();
        if (approve) {
            Optional<String> forbidden = releaseProblem(o, a);
            if (forbidden.isPresent()) {
                // the org changed since the hold was recorded: approving would send what the sender may not
                throw new OrgmeshException(ErrorCode.APPROVAL_FORBIDDEN_RELEASE, id + " cannot be approved: "
                        + forbidden.get() + "; deny it instead");
            }
        }
        boolean human = o.member(by).map(Member::isHuman).orElse(false);
        if (!Subjects.OPERATOR.equals(by) && (!human || !a.approvers().contains(by))) {
            throw new OrgmeshException(ErrorCode.APPROVAL_NOT_APPROVER,
                    "'" + by + "' is not an approver of gate '" + a.gate() + "' (approvers: "
                            + String.join(", ", a.approvers()) + ")");
        }
        Approval done = a.decided(approve ? Approval.APPROVED : Approval.DENIED, by, clock.instant(), reason);
        cas(entry, done);
        settle(done, by);
        return done;
    }

    private void cas(KeyValueEntry entry, Approval next) throws IOException, JetStreamApiException {
        try {
            approvals.update(entry.getKey(), next.encode(), entry.getRevision());
        } catch (JetStreamApiException e) {
            KeyValueEntry now = approvals.get(entry.getKey());
            if (now != null && now.getRevision() != entry.getRevision()) {
                Approval other = Approval.decode(now.getValue());
                throw new OrgmeshException(ErrorCode.APPROVAL_ALREADY_DECIDED, next.id() + " was just "
                        + other.status() + (other.decidedBy() != null ? " by " + other.decidedBy() : ""));
            }
            throw e;
        }
        if (!Approval.PENDING.equals(next.status())) {
            due.remove(next.id());
            metrics.approvalDecided(next.status());
        }
    }

    /**
     * What follows a decision: release or tell the sender, and report it. A span {@code orgmesh.approval.decision} in
     * the held message's trace, which the released message continues.
     */
    private void settle(Approval a, String by) throws IOException, JetStreamApiException {
        Span span = tracer.spanBuilder("orgmesh.approval.decision").setParent(parentOf(a.traceparent()))
                .setAttribute(APPROVAL, a.id()).setAttribute(GATE, String.valueOf(a.gate()))
                .setAttribute(MESSAGE, String.valueOf(a.messageId())).setAttribute(STATUS, a.status())
                .setAttribute(DECIDED_BY, String.valueOf(by)).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            announce(a, by);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, e.toString());
            throw e;
        } finally {
            span.end();
        }
    }

    private void announce(Approval a, String by) throws IOException, JetStreamApiException {
        switch (a.status()) {
            case Approval.APPROVED -> {
                release(a);
                LOG.infof("%s approved by %s: %s released to %s", a.id(), by, a.messageId(), a.subject());
            }
            case Approval.DENIED, Approval.EXPIRED -> {
                ErrorCode code = Approval.DENIED.equals(a.status())
                        ? ErrorCode.APPROVAL_DENIED
                        : ErrorCode.APPROVAL_EXPIRED;
                String text = code.label() + " " + describe(a) + " was " + a.status() + " by " + by + ": "
                        + a.reason() + ". It was not delivered.";
                if (a.from() != null && org.get().member(a.from()).isPresent()) {
                    dm(a.from(), "approval." + a.status(), Priority.NORMAL, "Not delivered: " + a.summary(), text, a,
                            "-" + a.status());
                }
                if (Approval.EXPIRED.equals(a.status())) {
                    for (String approver : a.approvers()) {
                        dm(approver, "approval.expired", Priority.HIGH, "Expired undecided: " + a.summary(), text,
                                a, "-expired-" + approver);
                    }
                }
                LOG.infof("%s %s", a.id(), text);
            }
            default -> {
            }
        }
        event("approval." + a.status(), a);
    }

    /**
     * Why the desk may not release a message from {@code sender} to {@code subject}, if it may not: the desk publishes
     * with hub-bootstrap's credentials, so it only ever sends what the sender could have sent itself (its rendered
     * permissions, {@link Permissions}), and only for a member of the org.
     */
    static Optional<String> releaseProblem(Org o, String sender, String subject) {
        Optional<Member> m = sender == null ? Optional.empty() : o.member(sender);
        if (m.isEmpty()) {
            return Optional.of("its sender '" + sender + "' is not a member of " + o.company());
        }
        UserPermissions p = switch (m.get()) {
            case Agent a -> Permissions.forAgent(o, a);
            case Human h -> Permissions.forHuman(o, h);
        };
        if (subject == null || !p.allowsPublish(subject)) {
            return Optional.of(sender + " may not publish to " + subject + " itself");
        }
        return Optional.empty();
    }

    /**
     * Where a message to {@code recipient} goes: its DM inbox, its role's task queue, its team's channel or the
     * company's. Gates hold only these, so a hold naming any other subject (the JetStream API, a KV bucket, an inbox)
     * is refused whatever its sender could publish.
     */
    static Optional<String> destinationOf(Org o, String recipient) {
        Subjects s = o.subjects();
        if (recipient == null) {
            return Optional.empty();
        }
        if (recipient.equals("all")) {
            return Optional.of(s.all());
        }
        if (recipient.startsWith("event:")) {
            String type = recipient.substring(6);
            return Recipient.EVENT_TYPE.matcher(type).matches() ? Optional.of(s.events(type)) : Optional.empty();
        }
        if (recipient.startsWith("role:")) {
            String role = recipient.substring(5);
            return o.roles().contains(role) ? Optional.of(s.tasks(role)) : Optional.empty();
        }
        if (recipient.startsWith("team:")) {
            String team = recipient.substring(5);
            return o.teams().containsKey(team) ? Optional.of(s.team(team)) : Optional.empty();
        }
        return o.member(recipient).map(m -> s.dm(m.id()));
    }

    /**
     * Why a hold may not be recorded, if it may not (ADR 0010). {@code holdSubject} is where the hold came
     * ({@code {co}.human.hold.{filer}}: the hub let only the filer publish there), {@code release} the attributed
     * subject the held message was carried on, whose sender token is its true sender. The desk keeps a hold only
     * when the envelope's {@code from} is that true sender, the filer is a recipient of that subject (a runtime
     * holds what it receives), a message to {@code recipient} goes there, and the true sender could publish there
     * itself.
     */
    static Optional<String> holdProblem(Org o, String holdSubject, Envelope env, String recipient, String release) {
        Subjects s = o.subjects();
        String filer = s.attribution(holdSubject).map(Subjects.Attribution::sender).orElse(null);
        Optional<Subjects.Attribution> carried = s.attribution(release);
        if (carried.isEmpty()) {
            return Optional.of(release + " is not a subject a message is carried on");
        }
        String sender = carried.get().sender();
        if (!sender.equals(env.from())) {
            return Optional.of("the message says it is from '" + env.from() + "' but " + release + " was sent by '"
                    + sender + "'");
        }
        Optional<String> destination = destinationOf(o, recipient);
        if (destination.filter(carried.get().contract()::equals).isEmpty()) {
            return Optional.of("a message to " + recipient + " goes to "
                    + destination.orElse("no subject of " + o.company()));
        }
        if (filer == null || !receives(o, filer, recipient)) {
            return Optional.of("the hold was filed by '" + filer + "', who does not receive messages to " + recipient);
        }
        return releaseProblem(o, sender, release);
    }

    /**
     * Why the held message is not one the server stored, if it is not: the hold names where the server stored it
     * ({@code Orgmesh-Hold-Stored-At}: the audit stream for a DM or task, the channel stream for a channel message),
     * and the copy there must be on the hold's subject with the hold's bytes. Everything else of a hold is written by
     * the runtime that files it, so without this a filer could hold (and have released in another's name) a message
     * nobody sent.
     */
    private Optional<String> storedProblem(Message msg, String subject) {
        return DeadLetters.storedProblem(jsm, subjects.assetPrefix(),
                header(msg, HeaderNames.HOLD_STORED_AT), subject, msg.getData())
                .map(p -> "the held message is not one the server stored: " + p);
    }

    /**
     * Why {@code gate} does not hold this message, if it does not: the gate the hold names must be the one the org's
     * gates give for it at the filer (the first that matches), so a filer cannot pick a gate that approves on timeout.
     */
    static Optional<String> gateProblem(Org o, String holdSubject, Envelope env, String recipient,
            ApprovalGate gate) {
        String filer = o.subjects().attribution(holdSubject).map(Subjects.Attribution::sender).orElse(null);
        String team = filer == null ? null : o.agent(filer).map(Agent::team).orElse(null);
        Optional<ApprovalGate> matching = o.oversight().gateFor(env.type(), env.from(), recipient,
                env.priorityOrNormal().wire(), team);
        return matching.filter(g -> g.id().equals(gate.id())).isPresent()
                ? Optional.empty()
                : Optional.of("gate '" + gate.id() + "' does not hold it ("
                        + matching.map(g -> "gate '" + g.id() + "' does").orElse("no gate does") + ")");
    }

    /** Whether agent {@code id} receives what is sent to {@code recipient} (and so may hold it). */
    private static boolean receives(Org o, String id, String recipient) {
        Optional<Agent> a = o.agent(id);
        if (a.isEmpty()) {
            return false;
        }
        if (recipient.equals("all")) {
            return true;
        }
        if (recipient.startsWith("role:")) {
            return a.get().role().equals(recipient.substring(5));
        }
        if (recipient.startsWith("team:")) {
            return a.get().team().equals(recipient.substring(5));
        }
        return id.equals(recipient);
    }

    /** Moves a hold the desk refuses to the dead-letter stream with its reason; it is never released. */
    private void refuse(Message msg, ErrorCode code, String reason) {
        Span.current().setAttribute(OUTCOME, code.label()).setStatus(StatusCode.ERROR, code.label());
        long seq = msg.isJetStream() ? msg.metaData().streamSequence() : 0;
        deadLetters.publish(subjects.holdsStream(), seq, msg.getSubject(), msg.getHeaders(), msg.getData(), code,
                reason);
        LOG.warnf("%s %s", code.label(), reason);
    }

    /** Republishes the held message to its subject; the runtime lets it through because the record says approved. */
    private void release(Approval a) throws IOException, JetStreamApiException {
        Optional<String> forbidden = releaseProblem(org.get(), a);
        if (forbidden.isPresent()) {
            // decide() and expire() check before the record turns approved; this is the last guard only
            throw new OrgmeshException(ErrorCode.APPROVAL_FORBIDDEN_RELEASE,
                    a.id() + " not released to " + a.subject() + ": " + forbidden.get());
        }
        Headers h = new Headers();
        h.put(HeaderNames.APPROVAL, a.id());
        h.put(HeaderNames.MSG_ID, a.id() + ".released");
        Span decision = Span.current();
        if (decision.isRecording()) {
            // a child of the decision, itself in the held message's trace
            W3CTraceContextPropagator.getInstance().inject(Context.root().with(decision), h,
                    (c, k, v) -> c.put(k, v));
        } else {
            h.put(HeaderNames.TRACEPARENT, TraceContext.traceparent(a.traceparent(), threadOf(a), a.id()
                    + ".released"));
        }
        js.publish(NatsMessage.builder().subject(a.subject()).headers(h).data(Json.write(a.envelope())).build());
    }

    // ---- timeouts ------------------------------------------------------------------------------------------------

    private void sweepSafely() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warnf(e, "approval timeout sweep failed; retrying");
        }
    }

    /** Applies the timeout of every pending approval whose time has come. */
    void sweep() {
        Instant now = clock.instant();
        for (Map.Entry<String, Instant> e : List.copyOf(due.entrySet())) {
            if (e.getValue().isAfter(now)) {
                continue;
            }
            try {
                expire(e.getKey());
            } catch (OrgmeshException x) {
                due.remove(e.getKey()); // decided meanwhile
            } catch (IOException | JetStreamApiException x) {
                LOG.warnf("timeout of %s not applied yet: %s", e.getKey(), x.toString());
            }
        }
    }

    private void expire(String id) throws IOException, JetStreamApiException {
        KeyValueEntry entry = approvals.get(id);
        if (entry == null) {
            due.remove(id);
            return;
        }
        Approval a = Approval.decode(entry.getValue());
        if (!Approval.PENDING.equals(a.status())) {
            due.remove(id);
            return;
        }
        Instant now = clock.instant();
        String why = "nobody decided within the gate's timeout (" + a.heldAt() + " → " + a.timeoutAt() + ")";
        switch (ApprovalGate.OnTimeout.parse(a.onTimeout())) {
            case DENY -> {
                Approval done = a.decided(Approval.EXPIRED, TIMEOUT, now, why + "; gate '" + a.gate() + "' denies");
                cas(entry, done);
                settle(done, TIMEOUT);
            }
            case APPROVE -> {
                Optional<String> forbidden = releaseProblem(org.get(), a);
                if (forbidden.isPresent()) {
                    Approval done = a.decided(Approval.EXPIRED, TIMEOUT, now, why + "; gate '" + a.gate()
                            + "' would approve, but " + forbidden.get() + " (" + ErrorCode.APPROVAL_FORBIDDEN_RELEASE
                                    .label()
                            + ")");
                    cas(entry, done);
                    settle(done, TIMEOUT);
                    return;
                }
                Approval done = a.decided(Approval.APPROVED, TIMEOUT, now, why + "; gate '" + a.gate()
                        + "' approves");
                cas(entry, done);
                settle(done, TIMEOUT);
                for (String approver : a.approvers()) {
                    dm(approver, "approval.auto-approved", Priority.HIGH, "Delivered undecided: " + a.summary(),
                            describe(a) + " was delivered without a decision: " + done.reason(), done,
                            "-auto-" + approver);
                }
            }
            case ESCALATE -> {
                Approval esc = a.decided(Approval.ESCALATED, null, null, why + "; gate '" + a.gate() + "' escalates");
                cas(entry, esc);
                due.remove(id);
                Set<String> told = new LinkedHashSet<>();
                org.get().humans().stream().map(Human::id).forEach(told::add);
                managerOfRecipient(a).ifPresent(told::add);
                for (String who : told) {
                    dm(who, "escalation", Priority.URGENT, "Escalation: still waiting for approval: " + a.summary(),
                            ErrorCode.APPROVAL_EXPIRED.label() + " " + describe(a) + " is still held: " + esc.reason()
                                    + ". Decide with `orgmesh approve " + id + "` or `orgmesh deny " + id
                                    + " --reason ...`.",
                            esc, "-escalated-" + who);
                }
                event("approval.escalated", esc);
                LOG.infof("%s escalated to %s", id, told);
            }
        }
    }

    private Optional<String> managerOfRecipient(Approval a) {
        Org o = org.get();
        if (a.to() == null) {
            return Optional.empty();
        }
        Optional<Agent> agent = o.agent(a.to());
        return agent.flatMap(ag -> o.manager(ag.id())).map(Member::id);
    }

    // ---- telling people ------------------------------------------------------------------------------------------

    private void dm(String to, String type, Priority priority, String subject, String text, Approval a,
            String idSuffix) {
        Envelope e = Envelope.builder().id(a.id() + idSuffix).from(Subjects.HUB_SENDER).to(to).type(type)
                .priority(priority).subject(subject).context(text).re(a.messageId())
                .thread(a.envelope() != null && a.envelope().hasNonNull("thread")
                        ? a.envelope().get("thread").asText()
                        : a.messageId())
                .ts(clock.instant()).build();
        publish(subjects.dm(to, Subjects.HUB_SENDER), e);
    }

    private void event(String type, Approval a) {
        Envelope e = Envelope.builder().id(a.id() + "-" + type).from(Subjects.HUB_SENDER).type("event")
                .subject(type + ": " + a.summary()).context(describe(a) + " — " + a.status()
                        + (a.decidedBy() != null ? " by " + a.decidedBy() : "") + (a.reason() != null
                                ? " (" + a.reason() + ")"
                                : ""))
                .re(a.messageId()).ts(clock.instant()).build();
        publish(subjects.event(Subjects.HUB_SENDER, type), e);
    }

    private void publish(String subject, Envelope e) {
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, e.id());
        try {
            js.publish(NatsMessage.builder().subject(subject).headers(h).data(EnvelopeCodec.encode(e)).build());
        } catch (IOException | JetStreamApiException x) {
            LOG.warnf("could not publish %s to %s: %s", e.type(), subject, x.toString());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static String describe(Approval a) {
        return a.type() + " " + a.messageId() + " from " + a.from() + " to " + a.to() + " (\"" + a.summary() + "\")";
    }

    private static String summary(Envelope e) {
        String s = e.subject() != null ? e.subject() : e.summary() != null ? e.summary() : e.type();
        return s == null ? "(no subject)" : s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    /** A human's decision, read field by field so a wrong one is named in the error. */
    private static Approval.Decision decision(byte[] data) {
        JsonNode n = request(data);
        return new Approval.Decision(text(n, "id", true), text(n, "by", false), text(n, "reason", false));
    }

    private static JsonNode request(byte[] data) {
        if (data == null || data.length == 0) {
            throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST,
                    "empty request: send {\"id\": \"ap-...\", \"by\": \"<human>\", \"reason\": \"...\"}");
        }
        try {
            JsonNode n = Json.mapper().readTree(new String(data, StandardCharsets.UTF_8));
            if (n == null || !n.isObject()) {
                throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST, "the request must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST,
                    "malformed JSON request: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST, "the request has no '" + field + "'");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new OrgmeshException(ErrorCode.APPROVAL_BAD_REQUEST, "'" + field + "' must be a string");
        }
        return v.textValue();
    }

    /** The context a traceparent names, or the root (a new trace) when it is missing or invalid. */
    private static Context parentOf(String traceparent) {
        if (TraceContext.traceId(traceparent) == null) {
            return Context.root();
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, ONE_HEADER);
    }

    /**
     * The trace context an approval keeps: the span recording its hold when OpenTelemetry is on (the decision is then
     * its child), else the held message's own {@code traceparent}; null when it had none.
     */
    private static String heldTrace(Message msg) {
        SpanContext sc = Span.current().getSpanContext();
        if (sc.isValid() && Span.current().isRecording()) {
            return "00-" + sc.getTraceId() + "-" + sc.getSpanId() + "-" + sc.getTraceFlags().asHex();
        }
        String carried = header(msg, HeaderNames.TRACEPARENT);
        return TraceContext.traceId(carried) == null ? null : carried;
    }

    /** The thread of a held message (its id when it starts one), from which a trace is derived when none was kept. */
    private static String threadOf(Approval a) {
        return a.envelope() != null && a.envelope().hasNonNull("thread")
                ? a.envelope().get("thread").asText()
                : a.messageId();
    }

    private static String header(Message m, String name) {
        return m.getHeaders() == null ? null : m.getHeaders().getFirst(name);
    }

    /** Ids of open approvals whose timeout is still to apply (for tests and status). */
    List<String> pending() {
        return new ArrayList<>(due.keySet());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        holds.close();
        service.stop();
    }
}
