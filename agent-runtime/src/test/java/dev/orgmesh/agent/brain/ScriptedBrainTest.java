package dev.orgmesh.agent.brain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.scripted.RuleBook;
import dev.orgmesh.agent.brain.scripted.ScriptedBrain;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/** Rules match by type, sender and subject and answer with templates; the example rules files are valid. */
class ScriptedBrainTest {
    static final Org ORG = OrgLoader.parse(Fixture.ORG.formatted("acme"), "test");
    static final Instant NOW = Instant.parse("2026-04-05T13:00:00Z");

    static final String RULES = """
            rules:
              - name: regex-subject
                when: { type: task, from: [ceo, board], subject: { regex: "(?i)^evaluate\\\\b" } }
                files:
                  "obj://B/{{self.id}}/notes.md": "notes on {{subject}} for {{from}}"
                send:
                  - { status: complete, summary: "{{self.name}} evaluated {{subject}}", breaking_changes: "{{tags}}" }
                  - to: role:role-backend
                    type: task
                    subject: "Implement {{subject}}"
                    context: "After {{id}}; {{unknown}} stays; tags {{tags}}"
                    deadline: "{{now+2d}}"
                    artifacts: [ "r2://acme/x.md", "{{more}}" ]
                    assignee: dev1
              - name: substring-subject
                when: { type: task, subject: "deploy" }
                blocked: "no credentials to deploy {{subject}}"
              - name: keep-quiet
                when: { type: task, priority: { present: false } }
            """;

    @Test
    void theFirstMatchingRuleAnswersWithTemplates(@TempDir Path dir) throws Exception {
        ScriptedBrain brain = new ScriptedBrain(RuleBook.of(Json.yaml().readTree(RULES), "test"), Workspace.at(dir));
        Envelope in = Fixture.envelope("ceo", "cto", "task").id("t-1").subject("Evaluate Node 22")
                .priority(dev.orgmesh.protocol.envelope.Priority.HIGH)
                .extra("tags", Json.mapper().valueToTree(List.of("a", "b")))
                .extra("more", Json.mapper().valueToTree(List.of("obj://B/c.md", "obj://B/d.md"))).build();

        Outcome o = brain.handle(in, ctx());
        assertThat(o).isInstanceOf(Outcome.Reply.class);
        Outcome.Reply r = (Outcome.Reply) o;
        assertThat(r.reply().to()).isEqualTo("ceo");
        assertThat(r.reply().type()).isEqualTo("report");
        assertThat(r.reply().re()).isEqualTo("t-1");
        assertThat(r.reply().subject()).isEqualTo("Evaluate Node 22");
        assertThat(r.reply().summary()).isEqualTo("cto evaluated Evaluate Node 22");
        assertThat(r.reply().breakingChanges()).as("a lone placeholder keeps its list").containsExactly("a", "b");
        Envelope task = r.also().getFirst();
        assertThat(task.to()).isEqualTo("role:role-backend");
        assertThat(task.type()).isEqualTo("task");
        assertThat(task.context()).isEqualTo("After t-1; {{unknown}} stays; tags a, b");
        assertThat(task.deadline()).isEqualTo("2026-04-07T13:00:00Z");
        assertThat(task.artifacts()).containsExactly("r2://acme/x.md", "obj://B/c.md", "obj://B/d.md");
        assertThat(task.extra().get("assignee").asText()).isEqualTo("dev1");
        assertThat(dir.resolve("artifacts/obj/B/cto/notes.md")).hasContent("notes on Evaluate Node 22 for ceo");

        Envelope deploy = Fixture.envelope("dev1", "cto", "task").id("t-2").subject("Deploy the API").build();
        assertThat(brain.handle(deploy, ctx())).isEqualTo(Outcome.blocked("no credentials to deploy Deploy the API"));

        Envelope evaluateFromDev = Fixture.envelope("dev1", "cto", "task").id("t-3").subject("Evaluate X").build();
        assertThat(brain.handle(evaluateFromDev, ctx())).as("from does not match; keep-quiet does")
                .isEqualTo(Outcome.nothing());
        assertThat(brain.handle(Fixture.envelope("ceo", "cto", "report").id("r").build(), ctx()))
                .isEqualTo(Outcome.nothing());
    }

    @Test
    void rulesThatTouchNoFileAreCalledWithoutAThreadOfTheirOwn(@TempDir Path dir) throws Exception {
        Envelope in = Fixture.envelope("ceo", "cto", "task").id("t-1").build();
        assertThat(brain(dir, "rules: [ { when: { type: task }, send: [ { summary: ok } ] } ]").blocking(in))
                .as("answers from memory").isFalse();
        assertThat(brain(dir, RULES).blocking(in)).as("writes a workspace file").isTrue();
        assertThat(brain(dir, "rules: [ { when: { type: task }, send: [ { artifacts: [ \"obj://B/x.md\" ] } ] } ]")
                .blocking(in)).as("its answer may make the artifact stage publish").isTrue();
    }

    private static ScriptedBrain brain(Path dir, String rules) throws Exception {
        return new ScriptedBrain(RuleBook.of(Json.yaml().readTree(rules), "test"), Workspace.at(dir));
    }

    @Test
    void aWrongRulesFileIsRefusedWithEveryProblem() {
        assertThatThrownBy(() -> RuleBook.of(Json.yaml().readTree("""
                rules:
                  - whn: { type: task }
                    send: [ { type: report } ]
                  - when: { subject: { regex: "(" } }
                  - when: { type: task }
                    send: [ {} ]
                    blocked: "no"
                """), "bad.rules.yaml"))
                .isInstanceOfSatisfying(OrgmeshException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ORG_BAD_VALUE);
                    assertThat(e.getMessage()).contains("bad.rules.yaml: 3 problem(s)")
                            .contains("rules[0].whn: unknown key").contains("rules[1].when.subject.regex")
                            .contains("rules[2]: has send and blocked");
                });
    }

    @Test
    void theExampleRulesFilesAreValid() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("..", "examples"))) {
            List<Path> rules = files.filter(p -> p.getFileName().toString().endsWith(".rules.yaml")).toList();
            assertThat(rules).hasSizeGreaterThanOrEqualTo(3);
            rules.forEach(p -> assertThat(RuleBook.load(p).size()).as(p.toString()).isPositive());
        }
    }

    @Test
    void commandAndModelAnswersBecomeOutcomes() throws Exception {
        Envelope in = Fixture.envelope("ceo", "cto", "task").id("t-1").subject("S").build();
        assertThat(Drafts.outcome(Json.mapper().readTree("{\"status\":\"blocked\",\"summary\":\"no key\"}"), in))
                .isEqualTo(Outcome.blocked("no key"));
        assertThat(Drafts.outcome(Json.mapper().readTree("{\"status\":\"failed\"}"), in))
                .isEqualTo(Outcome.failed("(no reason given)"));
        Outcome two = Drafts.outcome(Json.mapper().readTree(
                "[{\"summary\":\"done\"},{\"to\":\"team:eng\",\"type\":\"status\",\"from\":\"forged\"}]"), in);
        Outcome.Reply r = (Outcome.Reply) two;
        assertThat(r.reply().to()).isEqualTo("ceo");
        assertThat(r.reply().re()).isEqualTo("t-1");
        assertThat(r.reply().type()).isEqualTo("report");
        assertThat(r.also().getFirst().to()).isEqualTo("team:eng");
        assertThat(r.also().getFirst().from()).as("from is the runtime's").isNull();
        assertThat(Drafts.outcome(Json.mapper().readTree("[]"), in)).isEqualTo(Outcome.nothing());
        assertThatThrownBy(() -> Drafts.outcome(Json.mapper().readTree("{\"hops\":1,\"artifacts\":\"x\"}"), in))
                .isInstanceOf(OrgmeshException.class);
    }

    private static HandlerContext ctx() {
        return new HandlerContext(ORG.agent("cto").orElseThrow(), ORG, "dm", 1, Clock.fixed(NOW, ZoneOffset.UTC),
                List.of());
    }
}
