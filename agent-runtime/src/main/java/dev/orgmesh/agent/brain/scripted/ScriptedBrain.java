package dev.orgmesh.agent.brain.scripted;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.agent.artifact.ArtifactRef;
import dev.orgmesh.agent.brain.ActionResult;
import dev.orgmesh.agent.brain.Drafts;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.PermanentException;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Agent;

/**
 * The {@code scripted} brain (agent-runtime/README.md, "Brains"; the default for demos and tests): a {@link RuleBook}
 * decides, templates fill in the answer. Deterministic and instant, so a whole org can be run and tested without a
 * model.
 */
public final class ScriptedBrain implements Handler {
    private static final Logger LOG = Logger.getLogger(ScriptedBrain.class);

    private final RuleBook rules;
    private final Workspace workspace;
    /** See {@link #blocking}; the rules never change, so it is decided once, not for every message. */
    private final boolean blocking;

    public ScriptedBrain(RuleBook rules, Workspace workspace) {
        this.rules = rules;
        this.workspace = workspace;
        this.blocking = rules.writesFiles() || rules.referencesArtifacts() || rules.asks();
    }

    /**
     * Rules decide in memory: only rules that write workspace files touch the disk, and only answers that reference
     * artifacts make the artifact stage ({@code ArtifactStage}) around the brain publish.
     */
    @Override
    public boolean blocking(Envelope in) {
        return blocking;
    }

    @Override
    public Outcome handle(Envelope in, HandlerContext ctx) throws Exception {
        ObjectNode message = EnvelopeCodec.toTree(in);
        Optional<RuleBook.Rule> hit = rules.match(message, ctx.source());
        if (hit.isEmpty()) {
            LOG.debugf("no rule of %s matches %s %s", rules.origin(), in.type(), in.id());
            return Outcome.nothing();
        }
        RuleBook.Rule rule = hit.get();
        LOG.debugf("rule %s matches %s %s", rule.name(), in.type(), in.id());
        Template t = new Template(message, names(ctx), ctx.clock().instant(), zone(ctx.self()));
        for (Map.Entry<String, String> f : rule.files().entrySet()) {
            String target = t.renderText(f.getKey());
            Optional<ArtifactRef> ref = ArtifactRef.parse(target);
            Path file = ref.isPresent() ? workspace.fileFor(ref.get()) : workspace.inside(target);
            Workspace.writeIfChanged(file, t.renderText(f.getValue()).getBytes(StandardCharsets.UTF_8));
        }
        if (rule.blocked() != null) {
            return Outcome.blocked(t.renderText(rule.blocked()));
        }
        if (rule.failed() != null) {
            return Outcome.failed(t.renderText(rule.failed()));
        }
        if (!rule.asks().isEmpty()) {
            Map<String, String> names = names(ctx);
            for (ObjectNode ask : rule.asks()) {
                ObjectNode a = (ObjectNode) t.render(ask);
                a.put("action", "ask");
                ActionResult r = ctx.actions().run(a);
                if (!r.ok()) {
                    return refused(rule, r);
                }
                r.data().properties().forEach(e -> names.put("answer." + e.getKey(), e.getValue().isTextual()
                        ? e.getValue().textValue()
                        : e.getValue().toString()));
            }
            t = new Template(message, names, ctx.clock().instant(), zone(ctx.self()));
        }
        for (ObjectNode task : rule.enqueue()) {
            ObjectNode a = (ObjectNode) t.render(task);
            a.put("action", "enqueue");
            ActionResult r = ctx.actions().run(a);
            if (!r.ok()) {
                return refused(rule, r);
            }
        }
        for (ObjectNode event : rule.publish()) {
            ObjectNode a = (ObjectNode) t.render(event);
            a.put("action", "publish");
            ActionResult r = ctx.actions().run(a);
            if (!r.ok()) {
                return refused(rule, r);
            }
        }
        List<Envelope> out = new ArrayList<>();
        for (ObjectNode draft : rule.send()) {
            JsonNode rendered = t.render(draft);
            out.add(Drafts.envelope((ObjectNode) rendered, in));
        }
        return out.isEmpty() ? Outcome.nothing() : new Outcome.Reply(out.getFirst(), out.subList(1, out.size()));
    }

    /**
     * A refused action fails the message for good: the rules file asks for something the org does not allow, and the
     * same rules would ask again, so it is dead-lettered at once with the refusal as its reason.
     */
    private static Outcome refused(RuleBook.Rule rule, ActionResult r) {
        LOG.infof("rule %s: %s refused: %s", rule.name(), r.action(), r.message());
        throw new PermanentException(r.code(), "rule " + rule.name() + ": the " + r.action()
                + " action was refused: " + r.code().name() + ": " + r.message());
    }

    private static Map<String, String> names(HandlerContext ctx) {
        Agent self = ctx.self();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("self.id", self.id());
        m.put("self.name", self.name());
        m.put("self.role", self.role());
        m.put("self.team", self.team());
        m.put("self.reports_to", self.reportsTo());
        m.put("manager", self.reportsTo());
        m.put("company", ctx.org().company());
        m.put("company_name", ctx.org().name());
        m.put("source", ctx.source());
        return m;
    }

    private static ZoneId zone(Agent a) {
        return a.heartbeat() != null && a.heartbeat().tz() != null ? a.heartbeat().tz() : ZoneOffset.UTC;
    }
}
