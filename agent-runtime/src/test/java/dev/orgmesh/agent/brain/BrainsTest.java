package dev.orgmesh.agent.brain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.ObjectStore;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The {@code command} and {@code openai} brains behind a real runtime on a leaf, configured in the org file as an
 * operator would. The managers and senders ({@code ceo}, {@code cto}) are not running; their inboxes are read from
 * the hub.
 */
@NatsTest
@Leaves(1)
class BrainsTest {
    static final String ORG = """
            company: %s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board }
              - id: cto
                role: role-cto
                team: exec
                reports_to: ceo
                brain: { kind: command, command: "sh answer.sh", timeout: 10s }
              - id: dev1
                role: role-backend
                team: eng
                reports_to: cto
                brain:
                  kind: command
                  command: [ "sh", "-c", "echo $$ > pids; sleep 600 & echo $! >> pids; wait" ]
                  timeout: 1s
              - id: dev2
                role: role-backend
                team: eng
                reports_to: cto
                brain: { kind: openai, endpoint: "%s", models: [ m-down, m-slow, m-good ], timeout: 1s,
                         api_key_env: FAKE_PROVIDER_KEY }
            """;

    /** Reads the message on stdin, writes a file and answers with a report that references it. */
    static final String ANSWER_SH = """
            input=$(cat)
            subject=$(printf '%s' "$input" | sed -n 's/.*"subject":"\\([^"]*\\)".*/\\1/p')
            mkdir -p out
            printf 'checked %s\\n' "$subject" > out/result.txt
            printf '{"type":"report","status":"complete","summary":"%s checked %s","artifacts":["out/result.txt"]}' \\
              "$ORGMESH_AGENT_ID" "$subject"
            """;

    private static Fixture start(HubTopology topology, String endpoint) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany(), endpoint), "test");
        return Fixture.start(topology.hub(), org, StorageType.Memory);
    }

    @Test
    void aCommandThatAnswersIsTurnedIntoAReportWithItsArtifact(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (Fixture f = start(topology, "http://127.0.0.1:1/v1")) {
            Fixture.Inbox ceo = f.inbox("ceo");
            Files.createDirectories(dir.resolve("cto"));
            Files.writeString(dir.resolve("cto/answer.sh"), ANSWER_SH);
            f.agent(topology.leaf(0), "cto", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("cto"), Fixture.envelope("ceo", "cto", "task").id("t-1")
                    .subject("the auth module").build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !ceo.ofType("report").isEmpty());
            Envelope report = ceo.ofType("report").getFirst();
            assertThat(report.from()).isEqualTo("cto");
            assertThat(report.re()).isEqualTo("t-1");
            assertThat(report.summary()).isEqualTo("cto checked the auth module");
            String ref = "obj://" + f.subjects.artifactBucket() + "/cto/out/result.txt";
            assertThat(report.artifacts()).as("the workspace path became an artifact reference").containsExactly(ref);
            ObjectStore store = f.hubClient.objectStore(f.subjects.artifactBucket());
            java.io.ByteArrayOutputStream stored = new java.io.ByteArrayOutputStream();
            store.get("cto/out/result.txt", stored);
            assertThat(stored.toString(StandardCharsets.UTF_8)).isEqualTo("checked the auth module\n");
        }
    }

    @Test
    void aCommandThatHangsIsKilledAtItsTimeoutAndTheTaskEscalates(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (Fixture f = start(topology, "http://127.0.0.1:1/v1")) {
            Fixture.Inbox cto = f.inbox("cto");
            f.agent(topology.leaf(0), "dev1", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), Fixture.envelope("cto", "dev1", "task").id("t-hang")
                    .subject("never finishes").build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !cto.ofType("escalation").isEmpty());
            Envelope esc = cto.ofType("escalation").getFirst();
            assertThat(esc.from()).isEqualTo("dev1");
            assertThat(esc.re()).isEqualTo("t-hang");
            assertThat(esc.context()).contains("OM-4002").contains("did not answer within PT1S")
                    .contains("killed with its 1 child");
            List<Long> pids = Files.readAllLines(dir.resolve("dev1/pids")).stream().map(String::strip)
                    .map(Long::parseLong).toList();
            assertThat(pids).as("the shell and its sleep").hasSize(2);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(pids).allSatisfy(
                    pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse()));
            assertThat(cto.ofType("escalation")).hasSize(1);
        }
    }

    @Test
    void theOpenAiBrainFallsBackToTheNextModelOn5xxAndTimeouts(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (FakeChatServer fake = new FakeChatServer(Map.of("m-down", FakeChatServer.Behavior.DOWN, "m-slow",
                FakeChatServer.Behavior.SLOW, "m-good", FakeChatServer.Behavior.OK));
                Fixture f = start(topology, fake.endpoint())) {
            Fixture.Inbox ceo = f.inbox("ceo");
            f.agent(topology.leaf(0), "dev2", dir, dir, Map.of("FAKE_PROVIDER_KEY", "sk-test"), null,
                    Fixture.options());

            f.publish(f.subjects.dm("dev2"), Fixture.envelope("ceo", "dev2", "question").id("q-1")
                    .subject("Is Node 22 safe for us?").build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !ceo.ofType("answer").isEmpty());
            Envelope answer = ceo.ofType("answer").getFirst();
            assertThat(answer.from()).isEqualTo("dev2");
            assertThat(answer.re()).isEqualTo("q-1");
            assertThat(answer.summary()).startsWith("Answer from m-good: I read Message received on dm");
            assertThat(answer.extra().get("model").asText()).isEqualTo("m-good");

            assertThat(fake.requests()).extracting(FakeChatServer.Request::model)
                    .containsExactly("m-down", "m-slow", "m-good");
            FakeChatServer.Request good = fake.requests().getLast();
            assertThat(good.authorization()).isEqualTo("Bearer sk-test");
            assertThat(good.system()).contains("=== SOUL.md ===").contains("# Soul of dev2")
                    .contains("=== ORG.md ===").contains(f.subjects.dm("cto"));
            assertThat(good.user()).contains("\"subject\":\"Is Node 22 safe for us?\"");
        }
    }
}
