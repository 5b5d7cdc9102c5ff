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
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.envelope.Deadlines;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Recipient;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * Open deadlines and escalation ladders (agent-runtime/README.md, "Escalation and loop guards"), durable in the
 * company's escalations bucket ({@link EscalationStore}).
 *
 * <p>A ladder starts when this agent sends a task or question with a readable {@code deadline} (step 0: waiting for
 * the deadline), or when its brain escalates (blocked, failed: step 1 is the escalation {@link Outgoing#prepare} sent to
 * its manager). Any message with {@code re} = the task's id or the id of one of the ladder's escalations settles it (the
 * key is deleted). Otherwise, when a step's time is up, the ladder climbs one level: step 1 tells the manager of each
 * assignee (the member it was addressed to; for {@code team:}/{@code role:} tasks every member of that team or role
 * but this agent; for {@code all} this agent's own manager), each further step tells the managers of those told at the
 * step before, one {@code escalation.step_timeout} later, until a human — the top of the chain — has been told. Each
 * step is an escalation envelope with its reason: which step, who was told before, why.
 *
 * <p>Each step is sent once. Before sending step {@code n} the tracker moves the key from step {@code n-1} to step
 * {@code n} (not yet sent) by compare-and-set on its revision: of two runtimes of this agent only one succeeds, the
 * other re-reads and waits for the next due time. After the stream stored the escalation the key is marked sent. A
 * runtime that finds a step decided but not marked sent (its predecessor died between deciding and sending) sends it
 * again with the same escalation id, {@code {task}-{agent}-esc{n}-{to}}, which the stream's {@code Nats-Msg-Id} window
 * drops if it had been stored. On start the runtime loads its open ladders and re-arms their timers ({@link #resume}).
 *
 * <p>When the bucket cannot be read or written the tracker logs {@code OM-4011} and goes on in memory (a restart then
 * forgets what it could not store).
 */
public final class DeadlineTracker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeadlineTracker.class);
    private static final Set<String> TRACKED_TYPES = Set.of("task", "question");
    private static final int SETTLED_KEPT = 4096;
    /** How long after a failed send or an unreadable bucket a ladder is looked at again. */
    static final Duration RETRY = Duration.ofSeconds(5);
    /** The envelope field giving an escalation's step on its ladder (1 = the first manager). */
    public static final String STEP_FIELD = "escalation_step";
    /** The envelope field listing who was told at the steps before, oldest first. */
    public static final String TOLD_FIELD = "told_before";

    /** What started a ladder. */
    enum Kind {
        /** a task or question this agent sent got no answer by its deadline */
        DEADLINE,
        /** this agent's brain said it is blocked or failed, and its manager was told */
        BRAIN
    }

    /**
     * One ladder's state, as stored under its key.
     *
     * @param origin the id answers refer to (the task, or the message the brain escalated about)
     * @param kind what started it
     * @param about the task or message, as JSON (attached to every escalation as {@code original})
     * @param step the last step decided (0: waiting for the deadline)
     * @param current who was told at that step
     * @param told everyone told so far, step by step ({@code n:member})
     * @param ids the escalation ids sent so far; a message with {@code re} = one of them answers the ladder
     * @param due when the next step is due
     * @param sent whether the escalations of {@code step} are stored
     * @param reason why the first step was taken
     */
    record Ladder(String origin, Kind kind, JsonNode about, int step, List<String> current, List<String> told,
            List<String> ids, Instant due, boolean sent, String reason) {
        Ladder {
            current = List.copyOf(current);
            told = List.copyOf(told);
            ids = List.copyOf(ids);
        }

        byte[] encode() {
            ObjectNode n = JsonNodeFactory.instance.objectNode();
            n.put("origin", origin).put("kind", kind.name()).put("step", step).put("due", due.toString())
                    .put("sent", sent).put("reason", reason);
            n.set("about", about);
            current.forEach(n.putArray("current")::add);
            told.forEach(n.putArray("told")::add);
            ids.forEach(n.putArray("ids")::add);
            return Json.write(n);
        }

        static Ladder decode(byte[] value) {
            try {
                JsonNode n = Json.mapper().readTree(value);
                return new Ladder(n.path("origin").asText(), Kind.valueOf(n.path("kind").asText()), n.get("about"),
                        n.path("step").asInt(), strings(n.path("current")), strings(n.path("told")),
                        strings(n.path("ids")), Instant.parse(n.path("due").asText()), n.path("sent").asBoolean(),
                        n.path("reason").asText());
            } catch (Exception e) {
                throw new IllegalArgumentException("unreadable escalation ladder: " + e.getMessage(), e);
            }
        }

        private static List<String> strings(JsonNode a) {
            List<String> out = new ArrayList<>();
            if (a instanceof ArrayNode arr) {
                arr.forEach(x -> out.add(x.asText()));
            }
            return out;
        }
    }

    /** A ladder this runtime watches: its last known state and revision, and its timer. */
    private static final class Open {
        volatile Ladder ladder;
        volatile long revision;
        volatile ScheduledFuture<?> timer;

        Open(Ladder ladder, long revision) {
            this.ladder = ladder;
            this.revision = revision;
        }
    }

    private final Org org;
    private final String self;
    private final Escalations escalations;
    private final Clock clock;
    private final ZoneId zone;
    private final ScheduledExecutorService timer;
    private final Executor workers;
    private final Outgoing outgoing;
    private final EscalationStore store;
    private final Duration stepTimeout;
    private final Duration sendWait;
    private final Map<String, Open> open = new ConcurrentHashMap<>();
    /** re → key: the origin and every escalation id of each open ladder. */
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private final Set<String> settled = Collections.newSetFromMap(new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > SETTLED_KEPT;
        }
    });
    private final AtomicBoolean storeDown = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * @param escalations the agent's escalation rules (who is told)
     * @param workers where the bucket is read and written and steps are sent (blocking calls)
     * @param outgoing where escalations leave
     * @param store this agent's keys of the escalations bucket; {@code null} keeps ladders in memory only
     * @param stepTimeout how long each step waits for an answer (the org's {@code escalation.step_timeout})
     * @param sendWait how long a step waits for the stream to store its escalations before it is tried again
     */
    public DeadlineTracker(Org org, String self, Escalations escalations, Clock clock, ZoneId zone,
            ScheduledExecutorService timer, Executor workers, Outgoing outgoing, EscalationStore store,
            Duration stepTimeout, Duration sendWait) {
        this.org = org;
        this.self = self;
        this.escalations = escalations;
        this.clock = clock;
        this.zone = zone;
        this.timer = timer;
        this.workers = workers;
        this.outgoing = outgoing;
        this.store = store;
        this.stepTimeout = stepTimeout;
        this.sendWait = sendWait;
    }

    /** As {@link #track(Envelope, Envelope)} for a message the agent sends on its own (not while handling one). */
    public void track(Envelope sent) {
        track(sent, null);
    }

    /**
     * Starts a ladder for {@code sent} (ready to publish: it has its id) if it is a task or question with a deadline,
     * or if it is the escalation this agent's brain caused while handling {@code cause} (blocked, failed) and its
     * manager has a manager of its own to climb to.
     */
    public void track(Envelope sent, Envelope cause) {
        if (sent.id() == null || sent.type() == null || closed) {
            return;
        }
        Ladder ladder = null;
        if (TRACKED_TYPES.contains(sent.type())) {
            Optional<Instant> due = Deadlines.parse(sent.deadline(), zone);
            if (due.isPresent()) {
                ladder = new Ladder(sent.id(), Kind.DEADLINE, EnvelopeCodec.toTree(sent), 0, List.of(), List.of(),
                        List.of(), due.get(), true, sent.type() + " " + sent.id() + " (\"" + subject(sent)
                                + "\") sent by " + self + " to " + sent.to() + " was due " + sent.deadline()
                                + " and no report came back");
            }
        } else if ("escalation".equals(sent.type()) && cause != null && cause.id() != null
                && cause.id().equals(sent.re()) && sent.to() != null && canClimbFrom(sent.to())) {
            ladder = new Ladder(cause.id(), Kind.BRAIN, EnvelopeCodec.toTree(cause), 1, List.of(sent.to()),
                    List.of("1:" + sent.to()), List.of(sent.id()), clock.instant().plus(stepTimeout), true,
                    sent.context() != null ? sent.context() : "escalated by " + self);
        }
        if (ladder == null) {
            return;
        }
        String key = key(ladder.origin());
        synchronized (settled) {
            if (settled.contains(key)) {
                return;
            }
        }
        Open o = new Open(ladder, 0);
        if (open.putIfAbsent(key, o) != null) {
            return; // tracked before: its input was redelivered
        }
        index(key, ladder);
        Ladder created = ladder;
        workers.execute(() -> {
            if (store != null) {
                try {
                    long rev = store.create(key, created.encode());
                    if (rev < 0) {
                        // an earlier incarnation created it: that one's state wins
                        EscalationStore.Entry e = store.get(key);
                        if (e != null) {
                            o.ladder = Ladder.decode(e.value());
                            o.revision = e.revision();
                            index(key, o.ladder);
                        }
                    } else {
                        o.revision = rev;
                    }
                    up();
                    if (open.get(key) != o) {
                        // answered while it was being stored
                        store.delete(key);
                        return;
                    }
                } catch (Exception e) {
                    down("create", key, e);
                }
            }
            arm(key, o, o.ladder.sent() ? o.ladder.due() : clock.instant());
        });
    }

    /** {@code in} arrived: when it answers an open ladder ({@code re} = its task or one of its escalations), settled. */
    public void answered(Envelope in) {
        if (in.re() == null) {
            return;
        }
        String key = answers.get(in.re());
        if (key == null) {
            return;
        }
        Open o = open.remove(key);
        if (o == null) {
            return;
        }
        cancel(o);
        unindex(o.ladder);
        synchronized (settled) {
            settled.add(key);
        }
        LOG.debugf("%s %s answered by %s (%s) at step %d", o.ladder.kind(), o.ladder.origin(), in.from(), in.type(),
                o.ladder.step());
        if (store != null) {
            workers.execute(() -> {
                try {
                    store.delete(key);
                    up();
                } catch (Exception e) {
                    down("delete", key, e);
                }
            });
        }
    }

    /**
     * Loads this agent's open ladders from the bucket and re-arms them: a step due already is taken at once, a step
     * decided but not known to be sent is sent again (its id makes a copy that was stored a duplicate). Runs on a
     * worker and returns at once; while the bucket cannot be read it is asked again every {@link #RETRY}.
     */
    public void resume() {
        if (store == null) {
            return;
        }
        workers.execute(() -> {
            List<EscalationStore.Entry> entries;
            try {
                entries = store.load();
                up();
            } catch (Exception e) {
                down("load", self + ".>", e);
                if (!closed) {
                    // the hub may still be coming back: what an earlier runtime left must not be forgotten
                    try {
                        timer.schedule(this::resume, RETRY.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (RuntimeException stopping) {
                        LOG.debugf("escalations not loaded (the runtime is stopping): %s", stopping.toString());
                    }
                }
                return;
            }
            for (EscalationStore.Entry e : entries) {
                Ladder l;
                try {
                    l = Ladder.decode(e.value());
                } catch (IllegalArgumentException ex) {
                    LOG.warnf("escalation ladder %s ignored: %s", e.key(), ex.getMessage());
                    continue;
                }
                Open o = new Open(l, e.revision());
                if (open.putIfAbsent(e.key(), o) == null) {
                    index(e.key(), l);
                    arm(e.key(), o, l.sent() ? l.due() : clock.instant());
                }
            }
            if (!entries.isEmpty()) {
                LOG.infof("%s resumed %d open deadline(s) and escalation(s) from the escalations bucket", self,
                        entries.size());
            }
        });
    }

    /** Ladders still waiting for an answer. */
    public int openCount() {
        return open.size();
    }

    private String key(String origin) {
        return store != null ? store.key(origin) : self + "." + origin;
    }

    private void arm(String key, Open o, Instant at) {
        if (closed) {
            return;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
        cancel(o);
        try {
            o.timer = timer.schedule(() -> workers.execute(() -> due(key)), delay, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            LOG.debugf("ladder %s not armed (the runtime is stopping): %s", key, e.toString());
        }
    }

    private static void cancel(Open o) {
        ScheduledFuture<?> f = o.timer;
        if (f != null) {
            f.cancel(false);
        }
    }

    /** A ladder's time is up (or its step must be sent again): climb, resend or re-arm, as its stored state says. */
    private void due(String key) {
        Open o = open.get(key);
        if (o == null || closed) {
            return;
        }
        synchronized (o) {
            if (open.get(key) != o) {
                return;
            }
            Ladder l = o.ladder;
            long rev = o.revision;
            if (store != null) {
                try {
                    EscalationStore.Entry e = store.get(key);
                    up();
                    if (e == null && rev > 0) {
                        // settled by another runtime of this agent (it got the answer)
                        forget(key, o);
                        return;
                    }
                    if (e == null) {
                        // never stored (the bucket did not answer when it started): stored now, from here on durable
                        long created = store.create(key, l.encode());
                        if (created < 0) {
                            arm(key, o, clock.instant());
                            return;
                        }
                        rev = created;
                        o.revision = rev;
                    } else {
                        l = Ladder.decode(e.value());
                        rev = e.revision();
                        o.ladder = l;
                        o.revision = rev;
                        index(key, l);
                    }
                } catch (Exception e) {
                    down("read", key, e);
                    if (rev > 0) {
                        // a stored ladder is only moved by compare-and-set: wait until the bucket answers
                        arm(key, o, clock.instant().plus(RETRY));
                        return;
                    }
                }
            }
            if (!l.sent()) {
                send(key, o, l, rev);
                return;
            }
            Instant now = clock.instant();
            if (now.isBefore(l.due())) {
                arm(key, o, l.due());
                return;
            }
            List<String> next = nextLevel(l);
            if (next.isEmpty()) {
                LOG.infof("%s %s: a human (%s) was told at step %d and nobody answered; the ladder ends at the top",
                        ErrorCode.AGENT_ESCALATION_UNANSWERED.label(), l.origin(), String.join(", ", l.current()),
                        l.step());
                forget(key, o);
                delete(key);
                return;
            }
            int step = l.step() + 1;
            List<String> told = new ArrayList<>(l.told());
            List<String> ids = new ArrayList<>(l.ids());
            for (String m : next) {
                told.add(step + ":" + m);
                ids.add(escalationId(l.origin(), step, m));
            }
            Ladder up = new Ladder(l.origin(), l.kind(), l.about(), step, next, told, ids, now.plus(stepTimeout), false,
                    l.reason());
            long decided = rev;
            if (store != null && rev > 0) {
                try {
                    decided = store.update(key, up.encode(), rev);
                    up();
                } catch (Exception e) {
                    down("step", key, e);
                    arm(key, o, now.plus(RETRY));
                    return;
                }
                if (decided < 0) {
                    LOG.debugf("ladder %s moved by another runtime of %s: re-read", key, self);
                    arm(key, o, now);
                    return;
                }
            }
            o.ladder = up;
            o.revision = decided;
            index(key, up);
            send(key, o, up, decided);
        }
    }

    /** Sends the escalations of {@code l}'s step and marks it sent; tries again later when the stream is away. */
    private void send(String key, Open o, Ladder l, long rev) {
        List<Envelope> envelopes = new ArrayList<>();
        for (String to : l.current()) {
            envelopes.add(escalation(l, to));
        }
        try {
            for (Envelope esc : envelopes) {
                LOG.infof("%s step %d of the escalation about %s: telling %s", code(l).label(), l.step(), l.origin(),
                        esc.to());
                outgoing.escalate(esc).get(sendWait.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            LOG.warnf("step %d of the escalation about %s not stored yet (%s): sent again (same id) in %s", l.step(),
                    l.origin(), e.toString(), RETRY);
            arm(key, o, clock.instant().plus(RETRY));
            return;
        }
        Ladder done = new Ladder(l.origin(), l.kind(), l.about(), l.step(), l.current(), l.told(), l.ids(), l.due(),
                true, l.reason());
        long confirmed = rev;
        if (store != null && rev > 0) {
            try {
                confirmed = store.update(key, done.encode(), rev);
                up();
            } catch (Exception e) {
                down("mark sent", key, e);
                confirmed = -1;
            }
        }
        if (confirmed < 0 && store != null && rev > 0) {
            // not marked: whoever reads it next sends the same ids again, which the stream drops as duplicates
            arm(key, o, clock.instant());
            return;
        }
        o.ladder = done;
        o.revision = confirmed;
        // after the top was told the ladder stays open one more step timeout (an answer may still come), then ends
        arm(key, o, done.due());
    }

    /** The escalation of {@code l}'s current step to {@code to}, with its reason. */
    Envelope escalation(Ladder l, String to) {
        Envelope about;
        try {
            about = EnvelopeCodec.fromTree((ObjectNode) l.about());
        } catch (RuntimeException e) {
            about = null;
        }
        List<String> before = l.told().stream().filter(t -> !t.startsWith(l.step() + ":")).toList();
        String reason;
        if (l.step() == 1 && l.kind() == Kind.DEADLINE) {
            reason = l.reason() + "; step 1: telling " + to + ", the assignee's manager";
        } else {
            reason = "step " + l.step() + " of the escalation about " + l.origin() + ": " + l.reason()
                    + "; told before: "
                    + describe(before) + "; nobody answered within " + stepTimeout + " (escalation.step_timeout), so "
                    + to + ", next up the reports_to chain, is told"
                    + (org.member(to).map(Member::isHuman).orElse(false) ? " (a human: the last step)" : "");
        }
        Envelope esc = escalations.escalation(about, l.about(), to, code(l), reason,
                escalationId(l.origin(), l.step(), to));
        Envelope.Builder b = esc.toBuilder().extra(STEP_FIELD, JsonNodeFactory.instance.numberNode(l.step()));
        ArrayNode told = JsonNodeFactory.instance.arrayNode();
        before.forEach(told::add);
        return b.extra(TOLD_FIELD, told).build();
    }

    private static ErrorCode code(Ladder l) {
        return l.step() == 1 && l.kind() == Kind.DEADLINE
                ? ErrorCode.AGENT_DEADLINE_PASSED
                : ErrorCode.AGENT_ESCALATION_UNANSWERED;
    }

    private static String describe(List<String> told) {
        if (told.isEmpty()) {
            return "nobody";
        }
        List<String> out = new ArrayList<>();
        for (String t : told) {
            int colon = t.indexOf(':');
            out.add(t.substring(colon + 1) + " (step " + t.substring(0, colon) + ")");
        }
        return String.join(", ", out);
    }

    /** The id of step {@code step}'s escalation to {@code to}: the same in every runtime, so a resend is a duplicate. */
    String escalationId(String origin, int step, String to) {
        return origin + "-" + self + "-esc" + step + "-" + to;
    }

    /** Who is told at the step after {@code l}'s (nobody twice); empty once a human was told. */
    List<String> nextLevel(Ladder l) {
        if (l.step() == 0) {
            Envelope about;
            try {
                about = EnvelopeCodec.fromTree((ObjectNode) l.about());
            } catch (RuntimeException e) {
                return List.of(escalations.ownManager());
            }
            return managersOf(about);
        }
        Set<String> toldBefore = new LinkedHashSet<>();
        l.told().forEach(t -> toldBefore.add(t.substring(t.indexOf(':') + 1)));
        Set<String> next = new LinkedHashSet<>();
        for (String m : l.current()) {
            // branches of a team task meet on the way up: nobody is told twice
            climb(m).filter(up -> !toldBefore.contains(up)).ifPresent(next::add);
        }
        return List.copyOf(next);
    }

    /** The member above {@code member} (skipping this agent, which is the one watching); none above a human. */
    private Optional<String> climb(String member) {
        Optional<Member> m = org.member(member);
        if (m.isEmpty() || !(m.get() instanceof Agent a)) {
            return Optional.empty();
        }
        String manager = a.reportsTo();
        if (manager.equals(self)) {
            return Optional.of(escalations.ownManager());
        }
        return Optional.of(manager);
    }

    private boolean canClimbFrom(String member) {
        return climb(member).isPresent();
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

    private void index(String key, Ladder l) {
        answers.put(l.origin(), key);
        l.ids().forEach(id -> answers.put(id, key));
    }

    private void unindex(Ladder l) {
        answers.remove(l.origin());
        l.ids().forEach(answers::remove);
    }

    private void forget(String key, Open o) {
        if (open.remove(key, o)) {
            cancel(o);
            unindex(o.ladder);
        }
    }

    private void delete(String key) {
        if (store == null) {
            return;
        }
        try {
            store.delete(key);
            up();
        } catch (Exception e) {
            down("delete", key, e);
        }
    }

    private static String subject(Envelope e) {
        return e.subject() != null ? e.subject() : "";
    }

    private void up() {
        if (storeDown.compareAndSet(true, false)) {
            LOG.infof("escalations bucket answers again: %s keeps its open deadlines there again", self);
        }
    }

    private void down(String op, String key, Exception e) {
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        if (storeDown.compareAndSet(false, true)) {
            LOG.warnf("%s escalations bucket unavailable (%s of %s: %s): %s keeps its open deadlines in memory until"
                    + " it answers", ErrorCode.AGENT_ESCALATION_STATE_UNAVAILABLE.label(), op, key, why, self);
        } else {
            LOG.debugf("escalations bucket still unavailable (%s of %s: %s)", op, key, why);
        }
    }

    @Override
    public void close() {
        closed = true;
        open.values().forEach(DeadlineTracker::cancel);
        open.clear();
        answers.clear();
    }
}
