package dev.orgmesh.agent.oversight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.hub.oversight.ApprovalDesk;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * Approval gates end to end, through a hub and leaves: runtimes on leaves hold what a gate matches, the approval desk
 * (hub-bootstrap) asks the board, and only a decision — or the gate's timeout, applied by a clock the test moves —
 * lets a message through. Counts what each agent's brain handled.
 */
@NatsTest
@Leaves(2)
class ApprovalGateTest {
    static final String ORG = """
            company: %s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board }
              - { id: cto, role: role-cto, team: exec, reports_to: ceo }
              - { id: dev1, role: role-backend, team: eng, reports_to: cto }
              - { id: dev2, role: role-backend, team: eng, reports_to: cto }
            approvals:
              - { id: deploys, match: { type: deploy }, approvers: [board], timeout: 1h, on_timeout: deny }
              - { id: hotfixes, match: { type: hotfix }, approvers: [board], timeout: 1h, on_timeout: approve }
              - { id: migrations, match: { type: migration }, approvers: [board], timeout: 1h, on_timeout: escalate }
              - { id: eng-urgent, match: { team: eng, priority: urgent }, approvers: [board], timeout: 1h, on_timeout: deny }
            """;

    /** A clock the test moves; the desk checks timeouts against it. */
    static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }
    }

    /** Everything a set of brains handled, by agent. */
    static final class Handled implements RuntimeListener {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final List<String> held = new CopyOnWriteArrayList<>();

        @Override
        public void onHeld(Envelope in, String approvalId) {
            held.add(in.id());
        }

        @Override
        public void onHandled(Envelope in, String source, Outcome outcome) {
            seen.add(in.id());
        }

        long count(String id) {
            return seen.stream().filter(id::equals).count();
        }
    }

    record Setup(Fixture f, ApprovalDesk desk, MovableClock clock, KeyValue approvals) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            desk.close();
            f.close();
        }

        Approval approval(String messageId, String gate) throws Exception {
            KeyValueEntry e = approvals.get(Approval.idFor(messageId, gate));
            return e == null ? null : Approval.decode(e.getValue());
        }

        /** A decision said by {@code by} (on {@code {co}.human.approve.{by}}), naming {@code by} in its body. */
        Message decide(boolean approve, String id, String by, String reason) throws Exception {
            return decideAs(by, approve, id, by, reason);
        }

        /** A decision said by {@code speaker} whose body names {@code by}. */
        Message decideAs(String speaker, boolean approve, String id, String by, String reason) throws Exception {
            return f.hubClient.request(approve ? f.subjects.humanApprove(speaker) : f.subjects.humanDeny(speaker),
                    new Approval.Decision(id, by, reason).encode(), Duration.ofSeconds(5));
        }
    }

    static Setup setup(HubTopology topology) throws Exception {
        Org org = OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test");
        Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory);
        MovableClock clock = new MovableClock();
        ApprovalDesk desk = ApprovalDesk.start(f.hubClient, NatsSettings.of(topology.hub().clientUrl()), () -> org,
                clock, Duration.ofMillis(100));
        KeyValue kv = f.hubClient.keyValue(org.subjects().approvalsBucket());
        return new Setup(f, desk, clock, kv);
    }

    static Envelope task(String id, String type, String to) {
        return Fixture.envelope("ceo", to, type).id(id).subject("please " + type).build();
    }

    @Test
    void aHeldTaskIsDeliveredOnlyAfterApproveAndOnlyOnce(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Fixture.Inbox board = s.f().inbox("board");
            Handled handled = new Handled();
            s.f().runtime(topology.leaf(0), "dev1", Handler.NOTHING, handled, Fixture.options());
            s.f().publish(s.f().subjects.dm("dev1"), task("d-1", "deploy", "dev1"));
            s.f().publish(s.f().subjects.dm("dev1"), task("free-1", "task", "dev1"));

            await().atMost(Duration.ofSeconds(10)).until(() -> s.approval("d-1", "deploys") != null);
            await().atMost(Duration.ofSeconds(10)).until(() -> handled.count("free-1") == 1);
            Approval held = s.approval("d-1", "deploys");
            assertThat(held.status()).isEqualTo(Approval.PENDING);
            assertThat(held.from()).isEqualTo("ceo");
            assertThat(held.to()).isEqualTo("dev1");
            assertThat(held.approvers()).containsExactly("board");
            await().atMost(Duration.ofSeconds(10)).until(() -> !board.ofType("approval.request").isEmpty());
            assertThat(board.ofType("approval.request").getFirst().context()).contains(held.id())
                    .contains("orgmesh approve");
            await("held: not handed to the brain before a decision").during(Duration.ofSeconds(1))
                    .atMost(Duration.ofSeconds(3)).until(() -> handled.count("d-1") == 0);

            Message reply = s.decide(true, held.id(), "board", null);
            assertThat(Replies.isError(reply)).as(new String(reply.getData())).isFalse();
            assertThat(Approval.decode(reply.getData()).status()).isEqualTo(Approval.APPROVED);

            await().atMost(Duration.ofSeconds(10)).until(() -> handled.count("d-1") == 1);
            // a second decision is refused, and nothing is delivered twice
            Message again = s.decide(true, held.id(), "board", null);
            assertThat(Replies.isError(again)).isTrue();
            assertThat(again.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo("8001");
            await("delivered once").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> handled.count("d-1") == 1);
        }
    }

    @Test
    void aDeniedTaskIsNeverDeliveredAndTheSenderIsTold(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Fixture.Inbox ceo = s.f().inbox("ceo");
            Handled handled = new Handled();
            s.f().runtime(topology.leaf(0), "dev1", Handler.NOTHING, handled, Fixture.options());
            s.f().publish(s.f().subjects.dm("dev1"), task("d-2", "deploy", "dev1"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.approval("d-2", "deploys") != null);
            String id = s.approval("d-2", "deploys").id();

            Message noReason = s.decide(false, id, "board", null);
            assertThat(Replies.isError(noReason)).isTrue();
            assertThat(new String(noReason.getData())).contains("reason");
            Message notApprover = s.decide(true, id, "ceo", null);
            assertThat(notApprover.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo("8002");
            // the decider is who said it, not who the body names (issue 22: "an approval's decider is taken from what
            // the request says")
            Message borrowed = s.decideAs("ceo", true, id, "board", null);
            assertThat(borrowed.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo("8002");
            assertThat(borrowed.getHeaders().getFirst(HeaderNames.SERVICE_ERROR))
                    .contains("ceo may not decide on behalf of board");
            assertThat(s.approval("d-2", "deploys").status()).isEqualTo(Approval.PENDING);
            Message unknown = s.decide(true, "ap-0000", "board", null);
            assertThat(unknown.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo("8000");

            Message denied = s.decide(false, id, "board", "not during the freeze");
            assertThat(Approval.decode(denied.getData()).status()).isEqualTo(Approval.DENIED);
            await().atMost(Duration.ofSeconds(10)).until(() -> !ceo.ofType("approval.denied").isEmpty());
            assertThat(ceo.ofType("approval.denied").getFirst().context()).contains("not during the freeze")
                    .contains("OM-8004");
            await("denied: never delivered").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                    .until(() -> handled.count("d-2") == 0);
        }
    }

    @Test
    void eachGateTimeoutDoesWhatItSaysAndTheHumansAreTold(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Fixture.Inbox board = s.f().inbox("board");
            Fixture.Inbox ceo = s.f().inbox("ceo");
            Fixture.Inbox cto = s.f().inbox("cto");
            Handled handled = new Handled();
            s.f().runtime(topology.leaf(0), "dev1", Handler.NOTHING, handled, Fixture.options());
            s.f().publish(s.f().subjects.dm("dev1"), task("t-deny", "deploy", "dev1"));
            s.f().publish(s.f().subjects.dm("dev1"), task("t-approve", "hotfix", "dev1"));
            s.f().publish(s.f().subjects.dm("dev1"), task("t-escalate", "migration", "dev1"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.approval("t-deny", "deploys") != null
                    && s.approval("t-approve", "hotfixes") != null && s.approval("t-escalate", "migrations") != null);
            await("all three held").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(handled.seen::isEmpty);

            s.clock().advance(Duration.ofMinutes(61));

            await().atMost(Duration.ofSeconds(10)).until(() -> handled.count("t-approve") == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> Approval.EXPIRED.equals(
                    s.approval("t-deny", "deploys").status()));
            await().atMost(Duration.ofSeconds(10)).until(() -> Approval.ESCALATED.equals(
                    s.approval("t-escalate", "migrations").status()));
            assertThat(s.approval("t-approve", "hotfixes").decidedBy()).isEqualTo("timeout");
            // the humans are told of each outcome; the sender of the expired one too; dev1's manager of the escalation
            await().atMost(Duration.ofSeconds(10)).until(() -> board.ofType("approval.expired").size() == 1
                    && board.ofType("approval.auto-approved").size() == 1 && board.ofType("escalation").size() == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> ceo.ofType("approval.expired").size() == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> cto.ofType("escalation").size() == 1);
            assertThat(board.ofType("escalation").getFirst().context()).contains("OM-8005").contains("still held");

            // the escalated one still waits for a human: no second escalation, no delivery, until approved
            s.clock().advance(Duration.ofHours(5));
            await("escalated once, still held").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> board.ofType("escalation").size() == 1 && handled.count("t-escalate") == 0);
            assertThat(handled.count("t-deny")).isZero();
            s.decide(true, s.approval("t-escalate", "migrations").id(), "board", null);
            await().atMost(Duration.ofSeconds(10)).until(() -> handled.count("t-escalate") == 1);
            assertThat(handled.count("t-deny")).isZero();
        }
    }

    @Test
    void aTeamMessageIsHeldOnceForEveryRecipientAndReleasedToEach(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Handled dev1 = new Handled();
            Handled dev2 = new Handled();
            Fixture.Running r1 = s.f().runtime(topology.leaf(0), "dev1", Handler.NOTHING, dev1, Fixture.options());
            Fixture.Running r2 = s.f().runtime(topology.leaf(1), "dev2", Handler.NOTHING, dev2, Fixture.options());
            // both bound to their team durables before the message (deliver policy: new)
            await().atMost(Duration.ofSeconds(10)).until(() -> r1.runtime().isReady() && r2.runtime().isReady());
            Envelope urgent = Fixture.envelope("ceo", "team:eng", "task").id("u-1").priority(Priority.URGENT)
                    .subject("drop everything").build();
            s.f().publish(s.f().subjects.team("eng"), urgent);
            await().atMost(Duration.ofSeconds(10)).until(() -> s.approval("u-1", "eng-urgent") != null);
            // both recipients held it: the holds stream de-duplicated the second hold, one approval exists
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.held.contains("u-1") && dev2.held.contains("u-1"));
            assertThat(s.f().jsm.getStreamInfo(s.f().subjects.holdsStream()).getStreamState().getLastSequence())
                    .as("the second hold was a duplicate of the first").isEqualTo(1);
            assertThat(s.approvals().keys()).as("one hold for both recipients").hasSize(1);
            assertThat(dev1.count("u-1") + dev2.count("u-1")).as("held from both brains").isZero();
            s.decide(true, s.approval("u-1", "eng-urgent").id(), "board", null);
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.count("u-1") == 1 && dev2.count("u-1") == 1);
            await("each recipient once").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> dev1.count("u-1") + dev2.count("u-1") == 2);
        }
    }

    @Test
    void aForgedApprovalHeaderDoesNotPassTheGate(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Fixture.Inbox cto = s.f().inbox("cto");
            Handled handled = new Handled();
            s.f().runtime(topology.leaf(0), "dev1", Handler.NOTHING, handled, Fixture.options());
            Envelope e = task("forged-1", "deploy", "dev1");
            Headers h = new Headers().put(HeaderNames.APPROVAL, Approval.idFor("forged-1", "deploys"))
                    .put(HeaderNames.MSG_ID, "forged-1");
            s.f().js.publish(NatsMessage.builder().subject(s.f().subjects.dm("dev1", "ceo")).headers(h)
                    .data(EnvelopeCodec.encode(e)).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> !cto.ofType("escalation").isEmpty());
            assertThat(cto.ofType("escalation").getFirst().context()).contains("OM-8006");
            assertThat(handled.count("forged-1")).isZero();
        }
    }

    /**
     * The attack of issue 22: an agent publishes a hold naming a gate that does not exist and a JetStream API subject
     * as its destination. The desk used to "release" it at once with hub-bootstrap's permissions (purging a stream
     * the agent could not touch); now it is refused, kept in the dead-letter stream with its reason, and the stream
     * is untouched.
     */
    @Test
    void aHoldForAGateThatDoesNotExistIsRefusedNeverReleased(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Subjects subj = s.f().subjects;
            s.f().js.publish(subj.dm("cto", "ceo"), EnvelopeCodec.encode(task("kept-1", "note", "cto")));
            long audited = s.f().jsm.getStreamInfo(subj.auditStream()).getStreamState().getMsgCount();
            String purge = "$JS.API.STREAM.PURGE." + subj.auditStream();

            hold(s, "cto", task("evil-1", "note", "cto"), "no-such-gate", purge);

            await().atMost(Duration.ofSeconds(10)).until(() -> s.f().deadLetters().stream()
                    .anyMatch(m -> "8007".equals(m.getHeaders().getFirst(HeaderNames.DLQ_CODE))));
            MessageInfo dead = s.f().deadLetters().stream()
                    .filter(m -> "8007".equals(m.getHeaders().getFirst(HeaderNames.DLQ_CODE)))
                    .findFirst().orElseThrow();
            assertThat(dead.getHeaders().getFirst(HeaderNames.DLQ_REASON))
                    .contains("no-such-gate").contains("evil-1").contains("refused, not released");
            assertThat(s.approval("evil-1", "no-such-gate")).as("no approval is recorded").isNull();
            assertThat(s.f().jsm.getStreamInfo(subj.auditStream()).getStreamState().getMsgCount())
                    .as("the audit stream was not purged").isGreaterThanOrEqualTo(audited);
        }
    }

    /** A hold of a real gate whose destination its sender could not publish to itself is refused too. */
    @Test
    void aHoldThatWouldReleaseWhereItsSenderMayNotPublishIsRefused(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Subjects subj = s.f().subjects;
            String purge = "$JS.API.STREAM.PURGE." + subj.auditStream();

            hold(s, "dev1", task("evil-2", "deploy", "dev1"), "deploys", purge);
            hold(s, "dev1", Fixture.envelope("nobody", "dev1", "deploy").id("evil-3").build(), "deploys",
                    subj.dm("dev1", "nobody"));
            // a hold of a message its filer never received, and one whose envelope names another sender than the
            // subject it was carried on: a release would speak for ceo (ADR 0010)
            hold(s, "dev2", task("evil-4", "deploy", "dev1"), "deploys", subj.dm("dev1", "ceo"));
            hold(s, "dev1", task("evil-5", "deploy", "dev1"), "deploys", subj.dm("dev1", "dev2"));
            // consistent in every field it writes — a broadcast "from" ceo that dev1 receives — but the server never
            // stored it: released, it would speak for ceo to the whole company
            hold(s, "dev1", Fixture.envelope("ceo", "all", "deploy").id("evil-6").build(), "deploys", subj.all("ceo"));

            await().atMost(Duration.ofSeconds(10)).until(() -> s.f().deadLetters().stream()
                    .filter(m -> "8008".equals(m.getHeaders().getFirst(HeaderNames.DLQ_CODE)))
                    .count() == 5);
            assertThat(s.f().deadLetters())
                    .extracting(m -> m.getHeaders().getFirst(HeaderNames.DLQ_REASON))
                    .anyMatch(r -> r.contains("would be released to " + purge)
                            && r.contains(purge + " is not a subject a message is carried on"))
                    .anyMatch(r -> r.contains("'nobody' is not a member"))
                    .anyMatch(r -> r.contains("evil-4") && r.contains("filed by 'dev2', who does not receive"))
                    .anyMatch(r -> r.contains("evil-5") && r.contains("says it is from 'ceo' but " + subj.dm("dev1",
                            "dev2") + " was sent by 'dev2'"))
                    .anyMatch(r -> r.contains("evil-6")
                            && r.contains("the held message is not one the server stored: it does not say where"));
            for (String id : new String[]{"evil-2", "evil-3", "evil-4", "evil-5", "evil-6"}) {
                assertThat(s.approval(id, "deploys")).as(id).isNull();
            }
        }
    }

    /** An ask passes the same gates as a DM: a gated one is refused (its caller cannot wait), the brain never sees it. */
    @Test
    void aGatedAskIsRefusedAndNeverReachesTheBrain(HubTopology topology) throws Exception {
        try (Setup s = setup(topology)) {
            Handled handled = new Handled();
            s.f().runtime(topology.leaf(0), "dev1", Handler.NOTHING, handled, Fixture.options());
            // the runtime's ask subscription is on its leaf: ask again until the hub knows of it (no responders before)
            Message gated = await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(
                    () -> s.f().hubClient.request(s.f().subjects.ask("dev1", "ceo"),
                            EnvelopeCodec.encode(task("ask-deploy", "deploy", "dev1")), Duration.ofSeconds(2)),
                    m -> m != null && !m.isStatusMessage());
            assertThat(Replies.isError(gated)).isTrue();
            assertThat(gated.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo("8009");
            assertThat(gated.getHeaders().getFirst(HeaderNames.SERVICE_ERROR))
                    .contains("deploys");
            Message plain = s.f().hubClient.request(s.f().subjects.ask("dev1", "ceo"),
                    EnvelopeCodec.encode(task("ask-note", "note", "dev1")), Duration.ofSeconds(10));
            assertThat(Replies.isError(plain)).as("an ask no gate matches is answered").isFalse();
            assertThat(handled.count("ask-deploy")).isZero();
            assertThat(handled.count("ask-note")).isEqualTo(1);
        }
    }

    /** A hold as an agent's runtime publishes it, with whatever headers the test gives. */
    static void hold(Setup s, String filer, Envelope e, String gate, String destination) throws Exception {
        Headers h = new Headers().put(HeaderNames.MSG_ID, Approval.idFor(e.id(), gate))
                .put(HeaderNames.HOLD_GATE, gate)
                .put(HeaderNames.HOLD_SUBJECT, destination);
        s.f().js.publish(NatsMessage.builder().subject(s.f().subjects.humanHold(filer)).headers(h)
                .data(EnvelopeCodec.encode(e)).build());
    }
}
