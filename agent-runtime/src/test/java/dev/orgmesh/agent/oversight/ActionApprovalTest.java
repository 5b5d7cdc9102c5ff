package dev.orgmesh.agent.oversight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.hub.oversight.ApprovalDesk;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * An action whose role needs approval ({@code roles.<role>.actions.publish: approval}) is held by the approval desk
 * before it leaves: the event reaches the agent that follows it only after a human approves it, once; a denied one
 * never does. The answer to the message that caused it is not held.
 */
@NatsTest
@Leaves(2)
class ActionApprovalTest {
    static final String ORG = """
            company: %s
            teams: { exec: {}, ops: {} }
            humans: [ { id: board } ]
            roles:
              role-devops: { actions: { publish: approval } }
            agents:
              - { id: cto, role: role-cto, team: exec, reports_to: board, events: [deployment] }
              - id: devops
                role: role-devops
                team: ops
                reports_to: cto
                brain:
                  kind: scripted
                  rules:
                    - name: deploy
                      when: { type: task }
                      publish: [ { event: deployment, subject: "Deployed {{subject}}" } ]
                      send: [ { status: complete, summary: "deploy requested" } ]
            """;

    record Setup(Fixture f, ApprovalDesk desk, KeyValue approvals, List<Envelope> ctoHandled)
            implements
                AutoCloseable {
        @Override
        public void close() throws Exception {
            desk.close();
            f.close();
        }

        Approval approval(String taskId) throws Exception {
            KeyValueEntry e = approvals.get(Approval.idFor(taskId + "-devops-held-1", "action-publish"));
            return e == null ? null : Approval.decode(e.getValue());
        }

        long events() {
            return ctoHandled.stream().filter(e -> "event".equals(e.type())).count();
        }
    }

    static Setup setup(HubTopology topology, Path dir) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test");
        Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory);
        ApprovalDesk desk = ApprovalDesk.start(f.hubClient, NatsSettings.of(topology.hub().clientUrl()), () -> org,
                Clock.systemUTC(), Duration.ofMillis(100));
        List<Envelope> handled = new CopyOnWriteArrayList<>();
        RuntimeListener cto = new RuntimeListener() {
            @Override
            public void onHandled(Envelope in, String source, Outcome outcome) {
                handled.add(in);
            }
        };
        f.runtime(topology.leaf(1), "cto", Handler.NOTHING, cto, Fixture.options());
        f.agent(topology.leaf(0), "devops", dir, dir, null, Fixture.options());
        return new Setup(f, desk, f.hubClient.keyValue(org.subjects().approvalsBucket()), handled);
    }

    @Test
    void aHeldEventLeavesOnlyAfterAHumanApprovesItAndOnlyOnce(HubTopology topology, @TempDir Path dir)
            throws Exception {
        try (Setup s = setup(topology, dir)) {
            Fixture.Inbox board = s.f().inbox("board");
            s.f().publish(s.f().subjects.dm("devops"), Fixture.envelope("board", "devops", "task").id("t-1")
                    .subject("v2").build());

            Approval held = await().atMost(Duration.ofSeconds(15)).until(() -> s.approval("t-1"),
                    a -> a != null);
            assertThat(held.status()).isEqualTo(Approval.PENDING);
            assertThat(held.from()).isEqualTo("devops");
            assertThat(held.to()).isEqualTo("event:deployment");
            assertThat(held.subject()).isEqualTo(s.f().subjects.event("devops", "deployment"));
            assertThat(held.approvers()).containsExactly("board");
            await().atMost(Duration.ofSeconds(10)).until(() -> board.ofType("approval.request").size() == 1
                    && board.ofType("report").size() == 1);
            assertThat(board.ofType("report").getFirst().summary()).as("the answer is not held")
                    .isEqualTo("deploy requested");
            await("not delivered before a decision").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> s.events() == 0);

            Message reply = s.f().hubClient.request(s.f().subjects.humanApprove("board"),
                    new Approval.Decision(held.id(), "board", null).encode(), Duration.ofSeconds(5));
            assertThat(Replies.isError(reply)).as(new String(reply.getData())).isFalse();

            await().atMost(Duration.ofSeconds(10)).until(() -> s.events() == 1);
            Envelope event = s.ctoHandled().stream().filter(e -> "event".equals(e.type())).findFirst().orElseThrow();
            assertThat(event.from()).isEqualTo("devops");
            assertThat(event.subject()).isEqualTo("Deployed v2");
            await("delivered once").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> s.events() == 1);
        }
    }

    @Test
    void aDeniedEventNeverLeaves(HubTopology topology, @TempDir Path dir) throws Exception {
        try (Setup s = setup(topology, dir)) {
            s.f().publish(s.f().subjects.dm("devops"), Fixture.envelope("board", "devops", "task").id("t-2")
                    .subject("v3").build());
            Approval held = await().atMost(Duration.ofSeconds(15)).until(() -> s.approval("t-2"),
                    a -> a != null);

            Message reply = s.f().hubClient.request(s.f().subjects.humanDeny("board"),
                    new Approval.Decision(held.id(), "board", "not during the freeze").encode(),
                    Duration.ofSeconds(5));
            assertThat(Approval.decode(reply.getData()).status()).isEqualTo(Approval.DENIED);
            await("denied: never delivered").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                    .until(() -> s.events() == 0);
        }
    }
}
