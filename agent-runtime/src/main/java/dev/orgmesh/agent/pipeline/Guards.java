package dev.orgmesh.agent.pipeline;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Handled;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Deadlines;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Recipient;
import dev.orgmesh.protocol.org.EscalationPolicy;

/**
 * The checks a decoded message passes before it reaches the brain, in order; the first that has a verdict decides
 * ({@link Step}), and a message none stops is {@link Step.Work}. Each guard is a small class that needs no NATS, so
 * each can be tested on its own ({@code GuardsTest}); {@link #standard} is the order the runtime uses:
 * <ol>
 * <li>{@link TrueSender}: the envelope's {@code from} is the sender token of its subject, and its {@code to} is where
 * the subject goes (ADR 0010);</li>
 * <li>{@link OwnMessage}: its own channel, task or event messages come back to it: skipped;</li>
 * <li>open deadlines it answers are closed (an observer, never a verdict);</li>
 * <li>{@link Duplicates}: handled before, by this runtime or (per the handled record) by another of its role;</li>
 * <li>{@link IdleHeartbeat}: a tick with nothing to do does not wake the brain;</li>
 * <li>{@link Gates}: an approval gate holds it, or its approval header is forged;</li>
 * <li>{@link Hops}, {@link Cycles}: loops (an escalation is exempt: it climbs a tree);</li>
 * <li>{@link PingPong}: too many DMs from one sender within a minute;</li>
 * <li>{@link Deadline}: past its deadline on arrival: as the org's {@code escalation.late_tasks} says, worked and
 * flagged late (a {@link Step.Work} that says so; last, since it is a verdict) or reported instead of handled.</li>
 * </ol>
 */
public final class Guards {
    private static final Logger LOG = Logger.getLogger(Guards.class);

    /**
     * What the guards look at: the decoded envelope and its JSON, the subject it came on, its source ({@code dm},
     * {@code team}, {@code all}, {@code tasks}, {@code events:…}, {@code heartbeat}, {@code ask}), the message headers,
     * the consumer's delivery count, whether to ask the handled record, and whether it is a request (answered, never
     * skipped as own or duplicate).
     */
    record Inspection(Envelope in, ObjectNode raw, String subject, String source, Headers headers, long delivery,
            boolean lookup, boolean request) {
    }

    /** One check: a verdict, or {@code null} to let the message on to the next. */
    interface Guard {
        Step check(Inspection x);
    }

    private final List<Guard> order;

    Guards(List<Guard> order) {
        this.order = List.copyOf(order);
    }

    /** The first verdict of the guards in order, or {@link Step.Work}. */
    Step run(Inspection x) {
        for (Guard g : order) {
            Step s = g.check(x);
            if (s != null) {
                return s;
            }
        }
        return new Step.Work(x.in());
    }

    /**
     * Decodes {@code body} and runs the guards. {@code positionId} is the id given to an envelope without one;
     * {@code null} for a request, which is answered, never skipped as own or duplicate and not rate-limited.
     * {@code delivery} is the consumer's delivery count (1 for a first delivery and for requests); {@code lookup}: ask
     * the handled record.
     */
    Step inspect(byte[] body, String subject, String source, String positionId, Headers headers, long delivery,
            boolean lookup) {
        Decoded dec = decode(body, positionId);
        if (dec.malformed() != null) {
            return dec.malformed();
        }
        return run(new Inspection(dec.in(), dec.raw(), subject, source, headers, delivery, lookup,
                positionId == null));
    }

    /** A body read as an envelope, or why it is not one. */
    record Decoded(ObjectNode raw, Envelope in, Step.Malformed malformed) {
    }

    /** Parses and decodes; an envelope without an id gets {@code positionId} when there is one. */
    static Decoded decode(byte[] body, String positionId) {
        ObjectNode raw;
        Envelope in;
        try {
            raw = EnvelopeCodec.parse(body, EnvelopeCodec.DEFAULT_MAX_BYTES);
        } catch (OrgmeshException e) {
            return new Decoded(null, null, new Step.Malformed(e, null));
        }
        try {
            in = EnvelopeCodec.fromTree(raw);
        } catch (OrgmeshException e) {
            return new Decoded(raw, null, new Step.Malformed(e, raw));
        }
        if (in.id() == null && positionId != null) {
            in = in.toBuilder().id(positionId).build();
        }
        return new Decoded(raw, in, null);
    }

    /** The runtime's guards, in the order above. */
    public static Guards standard(String self, Subjects subjects, RecentIds recent, HandledRecord handled,
            DeadlineTracker deadlines, HeartbeatCheck heartbeats, Gatekeeper gates, LoopGuards loops, int maxHops,
            EscalationPolicy.LateTasks lateTasks, Clock clock, ZoneId zone, AgentMetrics metrics,
            RuntimeListener listener) {
        return new Guards(List.of(
                new TrueSender(subjects),
                new OwnMessage(self),
                x -> {
                    deadlines.answered(x.in());
                    return null;
                },
                new Duplicates(self, recent, handled, metrics, listener),
                new IdleHeartbeat(heartbeats, metrics, listener),
                new Gates(gates),
                new Hops(maxHops),
                new Cycles(self, loops),
                new PingPong(self, loops),
                new Deadline(self, lateTasks, zone, clock)));
    }

    static String describe(Envelope in) {
        return (in.type() != null ? in.type() : "message") + " " + (in.id() != null ? in.id() : "(no id)");
    }

    /** An escalation climbs the reporting tree, which has no cycles: it is never taken for a loop. */
    private static boolean escalation(Envelope in) {
        return "escalation".equals(in.type());
    }

    // ---- the guards ------------------------------------------------------------------------------------------

    /**
     * The true sender (ADR 0010): the sender token of the subject the hub carried the message on, which the hub lets
     * only that member (or a service acting for it) publish; a heartbeat tick's is the heartbeat service, the only one
     * that may publish ticks. An envelope whose {@code from} is not its true sender is never handled as that member:
     * it is dead-lettered as {@code ENVELOPE_FORGED_SENDER}, and its real sender is told. A DM, channel or task message
     * whose {@code to} is not where its subject goes (addressed to another member, to miss a gate that matches on the
     * recipient) is dead-lettered as {@code ENVELOPE_BAD_VALUE}: gates, loops and replies all read {@code to}.
     */
    static final class TrueSender implements Guard {
        /** The sources whose subject names the recipient. */
        private static final Set<String> ADDRESSED_SOURCES = Set.of("dm", "team", "all", "tasks", "ask");
        private final Subjects subjects;

        TrueSender(Subjects subjects) {
            this.subjects = subjects;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            // the subject is parsed once per message: this runs before every brain call
            Subjects.Attribution carried = subjects.attribution(x.subject()).orElse(null);
            String real = "heartbeat".equals(x.source())
                    ? Subjects.HEARTBEAT_SENDER
                    : carried == null ? null : carried.sender();
            String what = "message " + (in.id() != null ? in.id() + " " : "") + "on " + x.subject();
            if (real == null || !real.equals(in.from())) {
                String why = real == null
                        ? what + " names no sender in its subject; only the attributed subjects of ADR 0010 are"
                                + " accepted"
                        : what + " says it is from '" + in.from() + "' but was sent by '" + real + "'";
                return new Step.Malformed(new OrgmeshException(ErrorCode.ENVELOPE_FORGED_SENDER, why), x.raw(), real);
            }
            if (!ADDRESSED_SOURCES.contains(x.source())) {
                return null;
            }
            String addressed;
            try {
                Recipient r = in.to() == null ? null : Recipient.parse(in.to());
                addressed = r == null
                        ? null
                        : "ask".equals(x.source())
                                ? r.kind() == Recipient.Kind.MEMBER ? subjects.ask(r.id()) : null
                                : r.subject(subjects);
            } catch (OrgmeshException e) {
                addressed = null;
            }
            String goesTo = carried == null ? null : carried.contract();
            if (goesTo != null && goesTo.equals(addressed)) {
                return null;
            }
            return new Step.Malformed(new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE, what + " is addressed to '"
                    + in.to() + "', but " + x.subject() + " carries messages to " + goesTo + "; not handled"),
                    x.raw(), in.from());
        }
    }

    /**
     * Its own message on a channel, queue or event comes back to it: skipped. A DM to oneself is a deliberate note
     * (such as a deadline escalation about one's own report), not an echo.
     */
    static final class OwnMessage implements Guard {
        private final String self;

        OwnMessage(String self) {
            this.self = self;
        }

        @Override
        public Step check(Inspection x) {
            return !x.request() && self.equals(x.in().from()) && !"dm".equals(x.source())
                    ? new Step.Skip(x.in(), "own message")
                    : null;
        }
    }

    /**
     * Handled before — by this runtime (its memory of recent ids) or, when {@link Inspection#lookup} says to ask, per
     * the company's handled record by another runtime: acked, counted, never handed to the brain. A task that comes
     * back a first time before anyone recorded it is given back once ({@link Intake#REDELIVERY_GRACE}): the agent
     * that had it may still be finishing it behind an outage.
     */
    static final class Duplicates implements Guard {
        private final String self;
        private final RecentIds recent;
        private final HandledRecord handled;
        private final AgentMetrics metrics;
        private final RuntimeListener listener;

        Duplicates(String self, RecentIds recent, HandledRecord handled, AgentMetrics metrics,
                RuntimeListener listener) {
            this.self = self;
            this.recent = recent;
            this.handled = handled;
            this.metrics = metrics;
            this.listener = listener;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            if (x.request() || in.id() == null) {
                return null;
            }
            if (recent.contains(in.id())) {
                return duplicate(in, x.source(), self, null);
            }
            if (handled == null || !x.lookup()) {
                return null;
            }
            Handled done = handled.lookup(x.source(), in.id());
            if (done != null) {
                recent.add(in.id());
                return duplicate(in, x.source(), done.by(), done.at());
            }
            if ("tasks".equals(x.source()) && x.delivery() == 2) {
                LOG.infof("task %s came back to %s before anyone recorded it: given back for %s, so an agent still"
                        + " finishing it can record it first", in.id(), self, Intake.REDELIVERY_GRACE);
                return new Step.Defer(in, "first redelivery, nobody recorded it yet: given back once for "
                        + Intake.REDELIVERY_GRACE);
            }
            return null;
        }

        private Step duplicate(Envelope in, String source, String by, String at) {
            boolean shared = at != null;
            metrics.duplicate(source, shared ? "shared" : "local");
            listener.onDuplicate(in, source, by);
            if (shared) {
                LOG.infof("%s from %s was already handled by %s at %s (handled record): acked as a duplicate, not"
                        + " handed to the brain", describe(in), source, by, at);
            } else {
                LOG.infof("%s from %s was already handled by %s: acked as a duplicate, not handed to the brain",
                        describe(in), source, self);
            }
            return new Step.Skip(in, "already handled");
        }
    }

    /** A heartbeat tick with nothing to do (inbox and queue empty, no due item) does not wake the brain. */
    static final class IdleHeartbeat implements Guard {
        private final HeartbeatCheck heartbeats;
        private final AgentMetrics metrics;
        private final RuntimeListener listener;

        IdleHeartbeat(HeartbeatCheck heartbeats, AgentMetrics metrics, RuntimeListener listener) {
            this.heartbeats = heartbeats;
            this.metrics = metrics;
            this.listener = listener;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            if (heartbeats == null || !"heartbeat".equals(x.source()) || !"heartbeat".equals(in.type())) {
                return null;
            }
            Optional<String> wake = heartbeats.reasonToWake(in);
            if (wake.isPresent()) {
                LOG.debugf("heartbeat %s wakes the brain: %s", in.id(), wake.get());
                return null;
            }
            metrics.heartbeatSkipped();
            listener.onHeartbeatSkipped(in);
            LOG.infof("heartbeat %s: nothing to do (inbox and queue empty, no due item); brain not woken", in.id());
            return new Step.Skip(in, "heartbeat with nothing to do");
        }
    }

    /**
     * Approval gates (docs/oversight.md): a matching message is held; a release whose approval header its record does
     * not grant is reported. Asks pass the same gates (a request has no approval header to look up, so this stays off
     * the network); a gated ask is refused, since its caller cannot wait for a human.
     */
    static final class Gates implements Guard {
        private final Gatekeeper gates;

        Gates(Gatekeeper gates) {
            this.gates = gates;
        }

        @Override
        public Step check(Inspection x) {
            return switch (gates.check(x.in(), x.raw(), x.subject(), x.source(), x.headers())) {
                case Gatekeeper.Verdict.Hold h -> new Step.Hold(x.in(), h);
                case Gatekeeper.Verdict.Forged f -> new Step.Report(x.in(), x.raw(), ErrorCode.APPROVAL_FORGED,
                        f.reason());
                case Gatekeeper.Verdict.Pass p -> null;
            };
        }
    }

    /** More hops than the limit: reported as a loop. */
    static final class Hops implements Guard {
        private final int maxHops;

        Hops(int maxHops) {
            this.maxHops = maxHops;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            return !escalation(in) && in.hops() > maxHops
                    ? new Step.Report(in, x.raw(), ErrorCode.AGENT_LOOP_DETECTED,
                            "message " + in.id() + " has " + in.hops() + " hops, over the limit of " + maxHops)
                    : null;
        }
    }

    /** A thread that came back to this agent through its chain too many times: reported as a loop. */
    static final class Cycles implements Guard {
        private final String self;
        private final LoopGuards loops;

        Cycles(String self, LoopGuards loops) {
            this.self = self;
            this.loops = loops;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            if (escalation(in) || !loops.isCycle(in)) {
                return null;
            }
            return new Step.Report(in, x.raw(), ErrorCode.AGENT_LOOP_DETECTED,
                    "thread " + in.threadOrId() + " came back to " + self + " through " + String.join(" → ",
                            in.chain()) + " → " + in.from() + ": " + self + " already handed it on "
                            + loops.visits(in) + " times (limit " + loops.maxChainRepeats() + ")");
        }
    }

    /**
     * Past its deadline on arrival (a date ends in the agent's time zone). With {@code late_tasks: work} (the default)
     * it is handled all the same and what the agent sends about it carries {@code late: true} ({@link #LATE}); with
     * {@code escalate} it is not handled but reported to the agent's manager ({@code OM-4003}).
     */
    static final class Deadline implements Guard {
        /** The envelope field that flags what an agent sent about a message that reached it past its deadline. */
        static final String LATE = "late";
        private final String self;
        private final EscalationPolicy.LateTasks policy;
        private final ZoneId zone;
        private final Clock clock;

        Deadline(String self, EscalationPolicy.LateTasks policy, ZoneId zone, Clock clock) {
            this.self = self;
            this.policy = policy;
            this.zone = zone;
            this.clock = clock;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            Optional<Instant> due = Deadlines.parse(in.deadline(), zone);
            if (due.isEmpty() || !due.get().isBefore(clock.instant())) {
                return null;
            }
            if (policy == EscalationPolicy.LateTasks.WORK) {
                LOG.infof("%s from %s arrived past its deadline %s: handled (late_tasks: work), what %s sends about it"
                        + " is flagged late", describe(in), x.source(), in.deadline(), self);
                return new Step.Work(in, true);
            }
            return new Step.Report(in, x.raw(), ErrorCode.AGENT_DEADLINE_PASSED,
                    "deadline " + in.deadline() + " passed before " + self + " could handle " + describe(in)
                            + " (from " + x.source() + "); the org's late_tasks is escalate, so it was not handled");
        }
    }

    /**
     * Ping-pong happens between two members talking directly (queues, channels and events are not pairs): over the
     * per-sender rate it is reported once, then dropped until the rate falls.
     */
    static final class PingPong implements Guard {
        private final String self;
        private final LoopGuards loops;

        PingPong(String self, LoopGuards loops) {
            this.self = self;
            this.loops = loops;
        }

        @Override
        public Step check(Inspection x) {
            Envelope in = x.in();
            if (!"dm".equals(x.source()) || in.from() == null || self.equals(in.from())) {
                return null;
            }
            return switch (loops.admit(in.from())) {
                case ESCALATE -> new Step.Report(in, x.raw(), ErrorCode.AGENT_LOOP_DETECTED,
                        "more than " + loops.perMinute() + " direct messages from " + in.from() + " to " + self
                                + " within a minute (ping-pong?); " + self + " handles no more of them until the"
                                + " rate drops");
                case DROP -> {
                    LOG.infof("%s not handling %s from %s: over the per-sender rate limit (already escalated)",
                            ErrorCode.AGENT_LOOP_DETECTED.label(), describe(in), in.from());
                    yield new Step.Skip(in, "over the per-sender rate limit");
                }
                case OK -> null;
            };
        }
    }
}
