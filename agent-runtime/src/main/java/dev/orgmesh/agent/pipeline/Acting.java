package dev.orgmesh.agent.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.impl.Headers;

import dev.orgmesh.agent.ask.Asker;
import dev.orgmesh.agent.ask.Fallback;
import dev.orgmesh.agent.brain.Action;
import dev.orgmesh.agent.brain.ActionCodec;
import dev.orgmesh.agent.brain.ActionResult;
import dev.orgmesh.agent.brain.Actions;
import dev.orgmesh.messaging.flow.OutboundMessage;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.ActionKind;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.RolePolicy;
import dev.orgmesh.protocol.org.Router;

/**
 * The action set at work (agent-runtime/README.md, "Actions"): for each handled message, an {@link Actions} that checks
 * what the brain asks for against its role's permissions, the org's members and the limits, then carries it out.
 * Messages are queued and leave with the outcome (stored before the message is acked); a message whose action needs
 * approval is filed with the approval desk at once, and leaves only when a human approves it; asks, secrets and
 * artifacts happen at once. A refusal is returned to the brain and published as an {@code action.refused} event,
 * which the audit stream keeps.
 */
public final class Acting {
    private static final Logger LOG = Logger.getLogger(Acting.class);
    /** How many actions one handled message may cause. */
    public static final int MAX_ACTIONS = 32;
    /** The largest artifact an action may write. */
    public static final int MAX_ARTIFACT_BYTES = 1024 * 1024;

    private final Agent self;
    private final Org org;
    private final Subjects subjects;
    private final RolePolicy policy;
    private final Router router;
    private final Asker asker;
    private final Escalations escalations;
    private final Outgoing outgoing;
    private final Clock clock;
    private volatile Supplier<Map<String, String>> secrets = Map::of;
    private volatile Path workspace;

    public Acting(Agent self, Org org, Asker asker, Escalations escalations, Outgoing outgoing, Clock clock) {
        this.self = self;
        this.org = org;
        this.subjects = org.subjects();
        this.policy = org.policy(self.role());
        this.router = new Router(org);
        this.asker = asker;
        this.escalations = escalations;
        this.outgoing = outgoing;
        this.clock = clock;
    }

    /** Where the {@code secret} action reads the agent's secrets (fetched from the vault bridge at boot). */
    public void secrets(Supplier<Map<String, String>> source) {
        this.secrets = source;
    }

    /** The workspace the {@code artifact} action writes into; none: the action is refused. */
    public void workspace(Path dir) {
        this.workspace = dir;
    }

    /** The actions of one handled message. */
    public Actions open(Envelope in) {
        return new Acts(in);
    }

    /** The actions of one message: counted, checked, carried out. */
    private final class Acts implements Actions {
        private final Envelope in;
        private final List<Envelope> queued = new ArrayList<>();
        private int taken;
        private final AtomicInteger refusals = new AtomicInteger();

        Acts(Envelope in) {
            this.in = in;
        }

        @Override
        public ActionResult run(JsonNode json) {
            Action a;
            try {
                a = ActionCodec.read(json, in);
            } catch (OrgmeshException e) {
                return refused(ActionCodec.nameOf(json), e);
            }
            return run(a);
        }

        @Override
        public ActionResult run(Action action) {
            String name = action.kind().wire();
            try {
                synchronized (this) {
                    if (++taken > MAX_ACTIONS) {
                        throw new OrgmeshException(ErrorCode.ACTION_TOO_MANY, "at most " + MAX_ACTIONS
                                + " actions per message; this one is refused");
                    }
                }
                RolePolicy.Permission p = policy.permission(action.kind());
                if (p == RolePolicy.Permission.OFF) {
                    throw new OrgmeshException(ErrorCode.ACTION_FORBIDDEN, "role " + self.role() + " may not take"
                            + " the " + name + " action (roles." + self.role() + ".actions." + name
                            + " in the org file)");
                }
                return switch (action) {
                    case Action.Send s -> message(name, s.message(), p);
                    case Action.Enqueue q -> message(name, q.task(), p);
                    case Action.Publish e -> message(name, e.event(), p);
                    case Action.Escalate x -> escalate(x, p);
                    case Action.Ask q -> ask(q, p);
                    case Action.Secret s -> secret(s);
                    case Action.Artifact f -> artifact(f);
                };
            } catch (OrgmeshException e) {
                return refused(name, e);
            }
        }

        @Override
        public synchronized List<Envelope> drain() {
            List<Envelope> out = List.copyOf(queued);
            queued.clear();
            return out;
        }

        /** A message action: checked as it will be sent, then queued (or, needing approval, filed at once). */
        private ActionResult message(String name, Envelope e, RolePolicy.Permission p) {
            // the id a held message keeps across redeliveries of the message that caused it (one hold, not two)
            String id = p == RolePolicy.Permission.APPROVAL
                    ? (in.id() != null ? in.id() : "x") + "-" + self.id() + "-held-" + taken
                    : null;
            Envelope ready = outgoing.own(Outgoing.continuing(e, in), id);
            String subject = router.subjectFor(ready);
            int size = EnvelopeCodec.encode(ready).length;
            if (size > EnvelopeCodec.DEFAULT_MAX_BYTES) {
                throw new OrgmeshException(ErrorCode.ACTION_TOO_MANY, "the message is " + size + " bytes; at most "
                        + EnvelopeCodec.DEFAULT_MAX_BYTES + " (put long content in an artifact)");
            }
            ObjectNode data = Json.mapper().createObjectNode().put("to", ready.to()).put("subject", subject);
            if (p == RolePolicy.Permission.APPROVAL) {
                String approval = hold(ready, subject, name);
                data.put("id", ready.id()).put("approval", approval);
                return ActionResult.done(name, "held for a human's approval (" + approval + "); it leaves when"
                        + " approved", data);
            }
            synchronized (this) {
                queued.add(e);
            }
            return ActionResult.done(name, "queued for " + ready.to() + "; it is sent when you finish", data);
        }

        /** Files {@code ready} with the approval desk as a hold of this agent's own action; waits until stored. */
        private String hold(Envelope ready, String subject, String name) {
            String gate = ActionKind.parse(name).orElseThrow().holdGate();
            Headers h = new Headers().put(HeaderNames.HOLD_GATE, gate).put(HeaderNames.HOLD_SUBJECT, subject)
                    .put(HeaderNames.HOLD_RECIPIENT, ready.to());
            OutboundMessage m = new OutboundMessage(subjects.humanHold(self.id()), h,
                    outgoing.scrubbed(EnvelopeCodec.encode(ready)), Approval.idFor(ready.id(), gate));
            try {
                outgoing.store(List.of(m)).await().atMost(Duration.ofMinutes(2));
            } catch (RuntimeException x) {
                throw new OrgmeshException(ErrorCode.ACTION_FAILED, "the approval desk's hold could not be stored: "
                        + x.getMessage());
            }
            LOG.infof("%s action of %s held for approval %s", name, self.id(), m.msgId());
            return m.msgId();
        }

        private ActionResult escalate(Action.Escalate x, RolePolicy.Permission p) {
            Envelope esc = escalations.escalation(in, null, escalations.ownManager(), ErrorCode.AGENT_BLOCKED,
                    x.reason(), null);
            return message("escalate", esc, p);
        }

        private ActionResult ask(Action.Ask q, RolePolicy.Permission p) {
            if (p == RolePolicy.Permission.APPROVAL) {
                throw new OrgmeshException(ErrorCode.APPROVAL_REQUIRED, "role " + self.role()
                        + " asks only with approval, and an ask cannot wait for a human; send a message instead");
            }
            if (org.member(q.to()).isEmpty()) {
                throw new OrgmeshException(ErrorCode.ACTION_MALFORMED,
                        "no member '" + q.to() + "' in " + org.company());
            }
            RolePolicy.AskPolicy ap = org.askPolicy(self);
            Duration timeout = q.timeout() != null ? q.timeout() : ap.timeout();
            Fallback fallback = switch (ap.fallback()) {
                case NONE -> Fallback.none();
                case RETRY -> Fallback.retry(Math.max(1, ap.retries()));
                case ASK_MANAGER -> Fallback.askManager();
                case DEFAULT -> Fallback.defaultAnswer(Envelope.builder().from(q.to()).to(self.id()).type("answer")
                        .summary(ap.defaultAnswer()).re(in.id()).ts(clock.instant()).build());
            };
            Envelope question = Outgoing.continuing(q.question(), in);
            Envelope answer;
            try {
                answer = asker.ask(q.to(), question, timeout, fallback).await()
                        .atMost(timeout.multipliedBy(fallback.attempts()).plusSeconds(5));
            } catch (OrgmeshException e) {
                throw new OrgmeshException(ErrorCode.ACTION_FAILED, "asking " + q.to() + " failed: "
                        + e.code().name() + " " + e.getMessage());
            } catch (RuntimeException e) {
                throw new OrgmeshException(ErrorCode.ACTION_FAILED, "asking " + q.to() + " failed: " + e);
            }
            return ActionResult.done("ask", "answered by " + answer.from(), EnvelopeCodec.toTree(answer));
        }

        private ActionResult secret(Action.Secret s) {
            if (!self.secrets().contains(s.name())) {
                throw new OrgmeshException(ErrorCode.ACTION_UNKNOWN_SECRET, self.id() + " has no secret '" + s.name()
                        + "' (its secrets: " + String.join(", ", self.secrets()) + ")");
            }
            String value = secrets.get().get(s.name());
            if (value == null) {
                throw new OrgmeshException(ErrorCode.ACTION_FAILED, "secret '" + s.name()
                        + "' was not fetched from the vault bridge; is the bridge running?");
            }
            return ActionResult.done("secret", "the value of " + s.name() + " (it is removed from anything you send)",
                    Json.mapper().createObjectNode().put("name", s.name()).put("value", value));
        }

        private ActionResult artifact(Action.Artifact f) {
            Path dir = workspace;
            if (dir == null) {
                throw new OrgmeshException(ErrorCode.ACTION_FAILED, self.id() + " has no workspace to write into");
            }
            byte[] bytes = f.content().getBytes(StandardCharsets.UTF_8);
            if (bytes.length > MAX_ARTIFACT_BYTES) {
                throw new OrgmeshException(ErrorCode.ACTION_TOO_MANY, "the artifact is " + bytes.length
                        + " bytes; at most " + MAX_ARTIFACT_BYTES);
            }
            Path p = dir.resolve(f.path()).normalize();
            if (Path.of(f.path()).isAbsolute() || !p.startsWith(dir) || p.equals(dir)) {
                throw new OrgmeshException(ErrorCode.ACTION_MALFORMED, "field 'path' is '" + f.path()
                        + "': not a path inside the workspace");
            }
            try {
                Files.createDirectories(p.getParent());
                Files.write(p, bytes);
            } catch (IOException e) {
                throw new OrgmeshException(ErrorCode.ACTION_FAILED, "cannot write " + f.path() + ": " + e.getMessage());
            }
            return ActionResult.done("artifact", "written; reference it in a message as artifact_path: "
                    + f.path(), Json.mapper().createObjectNode().put("path", f.path()).put("bytes", bytes.length));
        }

        /** Tells the brain, and the audit stream through an {@code action.refused} event. */
        private ActionResult refused(String name, OrgmeshException e) {
            LOG.infof("%s %s refused for %s: %s", e.code().label(), name, self.id(), e.getMessage());
            Envelope ev = Envelope.builder().from(self.id()).type("event").subject("action.refused: " + name)
                    .context(e.code().label() + " " + e.code().name() + ": " + e.getMessage()).re(in.id())
                    .thread(in.threadOrId()).ts(clock.instant())
                    // derived from the message and the count, so handling it again refuses it once in the audit
                    .id(in.id() != null ? in.id() + "-" + self.id() + "-refused-" + refusals.incrementAndGet() : null)
                    .build().withIdIfAbsent();
            outgoing.publish(new OutboundMessage(subjects.event(self.id(), "action.refused"), null,
                    outgoing.scrubbed(EnvelopeCodec.encode(ev)), ev.id()));
            return ActionResult.refused(name, e);
        }
    }
}
