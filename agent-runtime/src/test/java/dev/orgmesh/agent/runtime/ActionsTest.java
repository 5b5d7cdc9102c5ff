package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * Brains act, not only answer (the action set): a scripted devops agent publishes a {@code deployment} event that the
 * security agent, which follows that event type, picks up and reports on to its manager; a role the org file forbids to
 * publish is refused, the message dead-lettered with the reason and the refusal is an audited event; an ask nobody answers takes the
 * role's default answer; a command brain enqueues a task for a role with the {@code orgmesh} tool and is refused a
 * secret its role may not fetch. Every agent runs as the service runs it, each on a leaf of a real hub.
 */
@NatsTest
@Leaves(2)
class ActionsTest {
    static final String ORG = """
            company: %s
            teams: { exec: {}, ops: {}, sec: {} }
            humans: [ { id: board } ]
            roles:
              role-intern: { actions: { publish: off } }
              role-asker: { ask: { timeout: 1s, fallback: default, default_answer: "nobody knows" } }
            agents:
              - { id: cto, role: role-cto, team: exec, reports_to: board }
              - { id: ghost, role: role-cto, team: exec, reports_to: board }
              - id: devops
                role: role-devops
                team: ops
                reports_to: cto
                brain:
                  kind: scripted
                  rules:
                    - name: deploy
                      when: { type: task, subject: deploy }
                      publish: [ { event: deployment, subject: "Deployed {{subject}}", context: "build 42" } ]
                      send: [ { status: complete, summary: "deployed" } ]
              - id: argus
                role: role-security
                team: sec
                reports_to: cto
                events: [deployment]
                brain:
                  kind: scripted
                  rules:
                    - name: scan
                      when: { type: event, source: "events:deployment" }
                      send: [ { to: "{{manager}}", type: report, subject: "Scan after {{subject}}", summary: "no findings", re: "{{id}}" } ]
              - id: intern
                role: role-intern
                team: ops
                reports_to: cto
                brain:
                  kind: scripted
                  rules:
                    - name: announce
                      when: { type: task }
                      publish: [ { event: deployment, subject: "I deployed it myself" } ]
              - id: asker
                role: role-asker
                team: ops
                reports_to: cto
                brain:
                  kind: scripted
                  rules:
                    - name: ask-the-ghost
                      when: { type: task }
                      ask: [ { to: ghost, subject: "Is {{subject}} safe?" } ]
                      send: [ { status: complete, summary: "ghost says: {{answer.summary}}" } ]
              - id: worker
                role: role-worker
                team: ops
                reports_to: cto
                brain:
                  kind: scripted
                  rules:
                    - name: work
                      when: { type: task }
                      send: [ { status: complete, summary: "worked on {{subject}}" } ]
              - id: cmd
                role: role-cmd
                team: ops
                reports_to: cto
                secrets: [ DEPLOY_KEY ]
                brain:
                  kind: command
                  command: "./act.sh"
            """;

    @Test
    void aDeploymentEventReachesTheAgentThatFollowsItAndItsReportReachesItsManager(HubTopology topology,
            @TempDir Path dir) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test");
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory)) {
            List<Message> said = listen(f);
            Fixture.Inbox cto = f.inbox("cto");
            Fixture.Inbox board = f.inbox("board");
            Fixture.Running devops = f.agent(topology.leaf(0), "devops", dir, dir, null, Fixture.options());
            Fixture.Running argus = f.agent(topology.leaf(1), "argus", dir, dir, null, Fixture.options());
            await().atMost(Duration.ofSeconds(15)).until(() -> devops.runtime().isReady() && argus.runtime().isReady());

            f.publish(f.subjects.dm("devops"), Fixture.envelope("board", "devops", "task").id("t-deploy")
                    .subject("deploy v2").build());

            Envelope report = await().atMost(Duration.ofSeconds(20)).until(
                    () -> cto.ofType("report").stream().findFirst().orElse(null), Objects::nonNull);
            assertThat(report.from()).isEqualTo("argus");
            assertThat(report.subject()).isEqualTo("Scan after Deployed deploy v2");
            assertThat(report.thread()).as("one thread from the task to the scan report").isEqualTo("t-deploy");
            Envelope event = said.stream().filter(m -> m.getSubject().equals(
                    f.subjects.event("devops", "deployment"))).map(m -> EnvelopeCodec.decode(m.getData()))
                    .findFirst().orElseThrow();
            assertThat(event.from()).isEqualTo("devops");
            assertThat(event.type()).isEqualTo("event");
            assertThat(event.to()).isEqualTo("event:deployment");
            assertThat(event.context()).isEqualTo("build 42");
            assertThat(report.re()).isEqualTo(event.id());
            Envelope done = await().atMost(Duration.ofSeconds(10)).until(
                    () -> board.ofType("report").stream().findFirst().orElse(null), Objects::nonNull);
            assertThat(done.from()).isEqualTo("devops");
            assertThat(done.summary()).isEqualTo("deployed");
        }
    }

    @Test
    void aForbiddenActionIsRefusedTheManagerToldAndTheRefusalAudited(HubTopology topology, @TempDir Path dir)
            throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test");
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory)) {
            List<Message> said = listen(f);
            Fixture.Inbox board = f.inbox("board");
            Fixture.Running intern = f.agent(topology.leaf(0), "intern", dir, dir, null, Fixture.options());
            await().atMost(Duration.ofSeconds(15)).until(() -> intern.runtime().isReady());

            f.publish(f.subjects.dm("intern"), Fixture.envelope("board", "intern", "task").id("t-intern")
                    .subject("look around").build());

            // the same rules would ask again: dead-lettered at once with the refusal, the sender (a human) told
            Envelope esc = await().atMost(Duration.ofSeconds(20)).until(
                    () -> board.ofType("escalation").stream().findFirst().orElse(null), Objects::nonNull);
            assertThat(esc.from()).isEqualTo("intern");
            assertThat(esc.context()).contains("OM-2005").contains("OM-4052").contains("ACTION_FORBIDDEN")
                    .contains("role role-intern may not take the publish action");
            assertThat(f.deadLetters()).hasSize(1);
            assertThat(said).as("nothing was published on the deployment event")
                    .noneMatch(m -> m.getSubject().endsWith(".deployment"));
            Envelope refused = await().atMost(Duration.ofSeconds(5)).until(() -> said.stream()
                    .filter(m -> m.getSubject().equals(f.subjects.event("intern", "action.refused")))
                    .map(m -> EnvelopeCodec.decode(m.getData())).findFirst().orElse(null), Objects::nonNull);
            assertThat(refused.re()).isEqualTo("t-intern");
            assertThat(refused.context()).contains("ACTION_FORBIDDEN");
            // the audit stream keeps the refusal (it sources the events stream)
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> EnvelopeCodec.decode(f.jsm
                    .getLastMessage(f.subjects.auditStream(), f.subjects.event("intern", "action.refused"))
                    .getData()).id().equals(refused.id()));
        }
    }

    @Test
    void anAskNobodyAnswersTakesTheRolesDefaultAnswer(HubTopology topology, @TempDir Path dir) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test");
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory)) {
            Fixture.Inbox board = f.inbox("board");
            Fixture.Running asker = f.agent(topology.leaf(0), "asker", dir, dir, null, Fixture.options());
            await().atMost(Duration.ofSeconds(15)).until(() -> asker.runtime().isReady());

            f.publish(f.subjects.dm("asker"), Fixture.envelope("board", "asker", "task").id("t-ask")
                    .subject("v2").build());

            Envelope done = await().atMost(Duration.ofSeconds(20)).until(
                    () -> board.ofType("report").stream().findFirst().orElse(null), Objects::nonNull);
            assertThat(done.summary()).isEqualTo("ghost says: nobody knows");
        }
    }

    @Test
    void aCommandBrainActsThroughTheOrgmeshToolAndIsRefusedWhatItsRoleMayNotDo(HubTopology topology,
            @TempDir Path dir) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test");
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory)) {
            Fixture.Inbox board = f.inbox("board");
            Fixture.Running worker = f.agent(topology.leaf(1), "worker", dir, dir, null, Fixture.options());
            // the command's workspace holds its script: act only on tasks, through the orgmesh tool
            Files.createDirectories(dir.resolve("cmd"));
            Path script = Files.writeString(dir.resolve("cmd").resolve("act.sh"),
                    """
                            #!/bin/sh
                            in=$(cat)
                            case "$in" in *'"type":"task"'*) ;; *) exit 0 ;; esac
                            orgmesh enqueue role-worker "build the image" --context "for $ORGMESH_MESSAGE_ID" > enqueued.json || exit 3
                            if orgmesh secret DEPLOY_KEY > secret.json 2> secret.err; then exit 4; fi
                            orgmesh send board "queued" --type report --status complete
                            echo '{"action": "reply", "summary": "delegated", "status": "complete"}'
                            """);
            script.toFile().setExecutable(true);
            Fixture.Running cmd = f.agent(topology.leaf(0), "cmd", dir, dir, Map.of("DEPLOY_KEY", "s3cr3t-value"),
                    null, Fixture.options());
            await().atMost(Duration.ofSeconds(15)).until(() -> cmd.runtime().isReady()
                    && worker.runtime().isReady());

            f.publish(f.subjects.dm("cmd"), Fixture.envelope("board", "cmd", "task").id("t-cmd")
                    .subject("ship").build());

            await().atMost(Duration.ofSeconds(30)).until(() -> board.ofType("report").size() == 2);
            assertThat(board.ofType("report")).extracting(Envelope::from).containsOnly("cmd");
            assertThat(board.ofType("report")).extracting(Envelope::summary)
                    .containsExactlyInAnyOrder("queued", "delegated");
            assertThat(Files.readString(dir.resolve("cmd").resolve("enqueued.json"))).contains("\"ok\":true")
                    .contains("role:role-worker");
            assertThat(Files.readString(dir.resolve("cmd").resolve("secret.json")))
                    .contains("\"error\":\"ACTION_FORBIDDEN\"").doesNotContain("s3cr3t-value");
            assertThat(Files.readString(dir.resolve("cmd").resolve("secret.err")))
                    .contains("secret ACTION_FORBIDDEN");
            // the worker took the task from its role's queue and reported to cmd, who sent it
            Envelope workerReport = await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(
                    () -> EnvelopeCodec.decode(f.jsm.getLastMessage(f.subjects.auditStream(),
                            f.subjects.attribute(f.subjects.dm("cmd"), "worker")).getData()),
                    Objects::nonNull);
            assertThat(workerReport.summary()).isEqualTo("worked on build the image");
            assertThat(workerReport.thread()).isEqualTo("t-cmd");
        }
    }

    private static List<Message> listen(Fixture f) throws Exception {
        List<Message> said = new CopyOnWriteArrayList<>();
        Dispatcher d = f.hubClient.createDispatcher(said::add);
        d.subscribe(f.subjects.company() + ".>");
        f.hubClient.flush(Duration.ofSeconds(5));
        return said;
    }
}
