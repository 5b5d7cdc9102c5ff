package dev.orgmesh.cli;

import static dev.orgmesh.cli.OrgmeshCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.impl.Headers;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

@NatsTest
class DlqAuditCommandTest {
    static final Subjects S = Subjects.of("komodo-ai");

    @Test
    void auditReconstructsAThreadInOrder(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Envelope task = Envelope.builder().id("T1").from("ceo-genesis").to("team:exec").type("task")
                .subject("Evaluate migration").build();
        Envelope report = task.report("cto-athena", "complete", "Safe to migrate.").build();
        Envelope followUp = report.followUp("ceo-genesis", "task").to("role:role-backend")
                .subject("Implement migration").build();
        Envelope other = Envelope.builder().id("X9").from("board").to("all").type("status").subject("Unrelated")
                .build();
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStream js = c.jetStream();
            publish(js, S.team("exec", "ceo-genesis"), task);
            publish(js, S.all("board"), other);
            publish(js, S.dm("ceo-genesis", "cto-athena"), report);
            publish(js, S.tasks("role-backend", "ceo-genesis"), followUp);
            await().atMost(Duration.ofSeconds(10)).until(
                    () -> c.jetStreamManagement().getStreamInfo(S.auditStream()).getStreamState().getMsgCount() == 4);
        }
        Run r = run("audit", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--thread", "T1");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.contains("→")).toList()).hasSize(3).satisfiesExactly(
                l -> assertThat(l).contains("ceo-genesis → team:exec [task] Evaluate migration"),
                l -> assertThat(l).contains("cto-athena → ceo-genesis [report/complete]"),
                l -> assertThat(l).contains("ceo-genesis → role:role-backend [task] Implement migration"));
        assertThat(r.out()).doesNotContain("Unrelated").contains("3 messages in thread T1");
    }

    /**
     * The first attack of issue 22 as the audit shows it: a task to cto-athena "from" ceo-genesis, really sent by
     * backend-hephaestus, and its dead letter (OM-1108, filed by cto-athena's runtime) are listed under the real
     * sender, with the claim beside it.
     */
    @Test
    void auditShowsTheRealSenderOfAForgedMessageAndItsDeadLetter(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Envelope forged = Envelope.builder().id("F1").from("ceo-genesis").to("cto-athena").type("task")
                .subject("Wire the money").build();
        try (Connection c = Nats.connect(server.clientUrl())) {
            publish(c.jetStream(), S.dm("cto-athena", "backend-hephaestus"), forged);
            var jsm = c.jetStreamManagement();
            long seq = stored(jsm, S.dm("cto-athena", "backend-hephaestus"), "F1");
            new DeadLetters(c.jetStream(), jsm, S, Duration.ofSeconds(5), "cto-athena").move(S.inboxStream(), seq,
                    ErrorCode.ENVELOPE_FORGED_SENDER, "message F1 says it is from 'ceo-genesis' but was sent by"
                            + " 'backend-hephaestus'")
                    .orElseThrow();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> new String(jsm.getLastMessage(
                    S.auditStream(), S.dlq("inbox", "cto-athena")).getData(), StandardCharsets.UTF_8).contains("F1"));
        }
        Run r = run("audit", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--thread", "F1");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.contains("→")).toList()).hasSize(2).allSatisfy(
                l -> assertThat(l).contains("backend-hephaestus (claims ceo-genesis)").contains("→ cto-athena [task]"))
                .anySatisfy(l -> assertThat(l).contains("[dead letter filed by cto-athena]")
                        .contains("dead-lettered OM-1108"));
    }

    @Test
    void deadLettersAreListedShownAndReplayed(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Envelope poison = Envelope.builder().id("P1").from("ceo-genesis").to("cto-athena").type("task")
                .subject("Poison").build();
        try (Connection c = Nats.connect(server.clientUrl())) {
            // stored as ceo-genesis said it, then moved to the dead letters by cto-athena's runtime
            publish(c.jetStream(), S.dm("cto-athena", "ceo-genesis"), poison);
            var jsm = c.jetStreamManagement();
            long inboxSeq = stored(jsm, S.dm("cto-athena", "ceo-genesis"), "P1");
            new DeadLetters(c.jetStream(), jsm, S, Duration.ofSeconds(5), "cto-athena").move(S.inboxStream(),
                    inboxSeq, ErrorCode.AGENT_HANDLER_FAILED, "boom; delivered 5 times").orElseThrow();
        }
        Run ls = run("dlq", "ls", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl());
        assertThat(ls.out()).contains("komodo-ai.dm.cto-athena").contains("OM-4002").contains("boom; delivered 5 times")
                .contains("1 dead letters");
        Run show = run("dlq", "show", OrgmeshCommandTest.EXAMPLE, "1", "-s", server.clientUrl());
        assertThat(show.out()).contains("Orgmesh-Dlq-Reason: boom; delivered 5 times")
                .contains("\"subject\":\"Poison\"");

        Run replay = run("dlq", "replay", OrgmeshCommandTest.EXAMPLE, "1", "--remove", "-s", server.clientUrl());
        assertThat(replay.status()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("to komodo-ai.dm.cto-athena").contains("OM_KOMODO_AI_AUDIT");
        try (Connection c = Nats.connect(server.clientUrl())) {
            var sub = c.jetStream().subscribe(S.inbox("cto-athena"),
                    io.nats.client.PullSubscribeOptions.bind(S.inboxStream(), "dm-cto-athena"));
            var got = sub.fetch(1, Duration.ofSeconds(5));
            assertThat(got).hasSize(1);
            Envelope again = EnvelopeCodec.decode(got.getFirst().getData());
            assertThat(again.id()).isNotEqualTo("P1");
            assertThat(again.extra().get("replay_of").textValue()).isEqualTo("P1");
            assertThat(got.getFirst().getSubject()).as("with its original sender's name, not the operator's")
                    .isEqualTo(S.dm("cto-athena", "ceo-genesis"));
            assertThat(c.jetStreamManagement().getStreamInfo(S.dlqStream()).getStreamState().getMsgCount()).isZero();
        }
        assertThat(run("dlq", "show", OrgmeshCommandTest.EXAMPLE, "1", "-s", server.clientUrl()).err())
                .contains("no dead letter with sequence 1");
    }

    /**
     * The attack of issue 22: an agent publishes a dead letter whose recorded destination is a JetStream API subject
     * (or an approval decision), hoping the operator's replay will publish it with unrestricted credentials; or one that
     * names a real destination with another member as sender, a message the server never stored, or one whose bytes
     * differ from what the server stored. The replay refuses each (OM-2009), publishes nothing, and the dead letter
     * stays.
     */
    @Test
    void aDeadLetterNamingAForeignDestinationIsNotReplayed(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Envelope bait = Envelope.builder().id("B1").from("backend-hephaestus").to("cto-athena").type("task")
                .subject("Replay me").build();
        String purge = "$JS.API.STREAM.PURGE." + S.auditStream();
        try (Connection c = Nats.connect(server.clientUrl())) {
            long stored = c.jetStream().publish(S.dm("cto-athena", "backend-hephaestus"), EnvelopeCodec.encode(bait))
                    .getSeqno();
            DeadLetters letters = new DeadLetters(c.jetStream(), c.jetStreamManagement(), S, Duration.ofSeconds(5),
                    "backend-hephaestus");
            long before = c.jetStreamManagement().getStreamInfo(S.dlqStream()).getStreamState().getLastSequence();
            long original = 7;
            Envelope asCeo = bait.toBuilder().from("ceo-genesis").to("all").build();
            Headers pointsAtTheBait = new Headers().put(HeaderNames.STREAM_SOURCE,
                    S.auditStream() + " " + stored + " > >");
            record Bait(String destination, Headers headers, Envelope body, String why) {
            }
            List<Bait> baits = List.of(
                    new Bait(purge, new Headers(), bait, "a DM, task queue, team or company subject"),
                    new Bait(S.humanApprove("board"), new Headers(), bait, "a DM, task queue, team or company"),
                    new Bait("other-co.dm.cto-athena.backend-hephaestus", new Headers(), bait, "a DM, task queue"),
                    new Bait(S.all("backend-hephaestus"), new Headers(), asCeo, "a forgery is not replayed"),
                    // in the CEO's name and consistent, but the server never stored it
                    new Bait(S.all("ceo-genesis"), new Headers(), asCeo, "the server no longer stores"),
                    new Bait(S.dm("cto-athena", "backend-hephaestus"), pointsAtTheBait,
                            bait.toBuilder().subject("Something else").build(),
                            "the server stored another message at"));
            for (Bait b : baits) {
                letters.publish(S.inboxStream(), original++, b.destination(), b.headers(),
                        EnvelopeCodec.encode(b.body()), ErrorCode.AGENT_HANDLER_FAILED, "bait");
            }
            for (int i = 0; i < baits.size(); i++) {
                long seq = before + 1 + i;
                Run replay = run("dlq", "replay", OrgmeshCommandTest.EXAMPLE, String.valueOf(seq), "--remove", "-s",
                        server.clientUrl());
                assertThat(replay.status()).as(baits.get(i).destination()).isNotZero();
                assertThat(replay.err()).as(baits.get(i).destination()).contains("OM-2009").contains("is not replayed")
                        .contains(baits.get(i).why());
            }
            var jsm = c.jetStreamManagement();
            var audit = jsm.getStreamInfo(S.auditStream()).getStreamState();
            assertThat(audit.getFirstSequence()).as("the audit stream was not purged").isEqualTo(1);
            assertThat(audit.getMsgCount()).isPositive();
            assertThat(jsm.getStreamInfo(S.dlqStream()).getStreamState().getLastSequence())
                    .as("nothing else was dead-lettered").isEqualTo(before + baits.size());
            for (long seq = before + 1; seq <= before + baits.size(); seq++) {
                assertThat(jsm.getMessage(S.dlqStream(), seq)).as("the refused dead letter %d stays", seq).isNotNull();
            }
        }
    }

    /** The inbox's sequence of the message with {@code Nats-Msg-Id} {@code id} on {@code subject}, once it is there. */
    static long stored(JetStreamManagement jsm, String subject, String id) {
        return await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> jsm.getLastMessage(S.inboxStream(), subject),
                        m -> id.equals(m.getHeaders().getFirst("Nats-Msg-Id")))
                .getSeq();
    }

    /** Issue 24's papercut: an event names no recipient; the audit says which event it is instead of "null". */
    @Test
    void anEventWithoutRecipientIsShownAsTheEventItIs() {
        Envelope event = Envelope.builder().id("E1").from(Subjects.HUB_SENDER).type("event").subject("held").build();
        assertThat(AuditCommand.recipient(S, S.event(Subjects.HUB_SENDER, "approval.requested"), event))
                .isEqualTo("event approval.requested");
        assertThat(AuditCommand.recipient(S, S.dm("cto-athena", "ceo-genesis"), event)).isEqualTo("(nobody named)");
        assertThat(AuditCommand.recipient(S, S.event("ceo-genesis", "x"), event.toBuilder().to("all").build()))
                .isEqualTo("all");
    }

    static void publish(JetStream js, String subject, Envelope e) throws Exception {
        js.publish(subject, EnvelopeCodec.encode(e), PublishOptions.builder().messageId(e.id()).build());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
