package dev.orgmesh.agent.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.envelope.Deadlines;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Recipient;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * Tasks this agent sent with a deadline, until someone answers them (agent-runtime/README.md, "Escalation and
 * loop guards"). A task or question with a readable {@code deadline} is tracked when it is sent; any message that comes
 * back with {@code re} = its id settles it. If none has come when the deadline passes, the task is escalated
 * <b>once</b> to the manager of each assignee: the member it was addressed to; for {@code team:}/{@code role:}
 * tasks every member of that team or role except this agent (one escalation per distinct manager); for {@code all},
 * this agent's own manager. When that manager is this agent, the escalation is a note in its own inbox, which the
 * runtime hands to its brain like any DM.
 *
 * <p>The tracker lives in memory: a restart forgets open deadlines (the tasks themselves are in the audit stream,
 * from which a later version can rebuild it). Escalation ids derive from the task, so a task tracked twice (its
 * input was redelivered) still escalates once.
 */
public final class DeadlineTracker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeadlineTracker.class);
    private static final Set<String> TRACKED_TYPES = Set.of("task", "question");
    private static final int FIRED_KEPT = 4096;

    private final Org org;
    private final String self;
    private final Escalations escalations;
    private final Clock clock;
    private final ZoneId zone;
    private final ScheduledExecutorService timer;
    private final Outgoing outgoing;
    private final Map<String, ScheduledFuture<?>> open = new ConcurrentHashMap<>();
    private final Set<String> settled = Collections.newSetFromMap(new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > FIRED_KEPT;
        }
    });

    /**
     * @param escalations the agent's escalation rules (who is told)
     * @param outgoing where the escalation of an overdue task leaves
     */
    public DeadlineTracker(Org org, String self, Escalations escalations, Clock clock, ZoneId zone,
            ScheduledExecutorService timer, Outgoing outgoing) {
        this.org = org;
        this.self = self;
        this.escalations = escalations;
        this.clock = clock;
        this.zone = zone;
        this.timer = timer;
        this.outgoing = outgoing;
    }

    /** Starts watching {@code sent} (ready to publish: it has its id) if it is a task or question with a deadline. */
    public void track(Envelope sent) {
        if (sent.id() == null || sent.type() == null || !TRACKED_TYPES.contains(sent.type())) {
            return;
        }
        Optional<Instant> due = Deadlines.parse(sent.deadline(), zone);
        if (due.isEmpty()) {
            return;
        }
        synchronized (settled) {
            if (settled.contains(sent.id())) {
                return;
            }
        }
        long delay = Math.max(0, Duration.between(clock.instant(), due.get()).toMillis());
        open.computeIfAbsent(sent.id(), id -> timer.schedule(() -> overdue(sent), delay, TimeUnit.MILLISECONDS));
    }

    /** {@code in} arrived: when it answers a tracked task ({@code re}), that task is settled. */
    public void answered(Envelope in) {
        if (in.re() == null) {
            return;
        }
        ScheduledFuture<?> f = open.remove(in.re());
        if (f != null) {
            f.cancel(false);
            remember(in.re());
            LOG.debugf("task %s answered by %s (%s)", in.re(), in.from(), in.type());
        }
    }

    /** Tasks still waiting for an answer. */
    public int openCount() {
        return open.size();
    }

    private void overdue(Envelope task) {
        if (open.remove(task.id()) == null) {
            return;
        }
        remember(task.id());
        for (String manager : managersOf(task)) {
            Envelope esc = escalations.escalation(task, EnvelopeCodec.toTree(task), manager,
                    ErrorCode.AGENT_DEADLINE_PASSED,
                    task.type() + " " + task.id() + " (\"" + (task.subject() != null ? task.subject() : "")
                            + "\") sent by " + self + " to " + task.to() + " was due " + task.deadline()
                            + " and no report came back",
                    task.id() + "-" + self + "-overdue-" + manager);
            LOG.infof("%s %s %s is overdue, escalating to %s", ErrorCode.AGENT_DEADLINE_PASSED.label(), task.type(),
                    task.id(), manager);
            outgoing.escalate(esc);
        }
    }

    /** The managers of the assignees of {@code task}, deduplicated, in org order. */
    List<String> managersOf(Envelope task) {
        Set<String> out = new LinkedHashSet<>();
        Recipient r;
        try {
            r = Recipient.parse(task.to());
        } catch (RuntimeException e) {
            return List.of(escalations.ownManager());
        }
        List<Member> assignees = new ArrayList<>();
        switch (r.kind()) {
            case MEMBER -> org.member(r.id()).ifPresent(assignees::add);
            case TEAM -> assignees.addAll(org.teamMembers(r.id()));
            case ROLE -> assignees.addAll(org.roleMembers(r.id()));
            case ALL -> {
            }
        }
        for (Member m : assignees) {
            if (m.id().equals(self)) {
                continue;
            }
            if (m instanceof Agent a) {
                out.add(a.reportsTo());
            } else {
                out.add(escalations.ownManager());
            }
        }
        if (out.isEmpty()) {
            out.add(escalations.ownManager());
        }
        return List.copyOf(out);
    }

    private void remember(String id) {
        synchronized (settled) {
            settled.add(id);
        }
    }

    @Override
    public void close() {
        open.values().forEach(f -> f.cancel(false));
        open.clear();
    }
}
