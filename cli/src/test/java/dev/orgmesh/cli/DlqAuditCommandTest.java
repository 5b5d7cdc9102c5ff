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
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.impl.Headers;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.protocol.ErrorCode;
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
            publish(js, S.team("exec"), task);
            publish(js, S.all(), other);
            publish(js, S.dm("ceo-genesis"), report);
            publish(js, S.tasks("role-backend"), followUp);
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

    @Test
    void deadLettersAreListedShownAndReplayed(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Envelope poison = Envelope.builder().id("P1").from("ceo-genesis").to("cto-athena").type("task")
                .subject("Poison").build();
        try (Connection c = Nats.connect(server.clientUrl())) {
            new DeadLetters(c.jetStream(), c.jetStreamManagement(), S, Duration.ofSeconds(5)).publish(S.inboxStream(),
                    42,
                    S.dm("cto-athena"), new Headers(), EnvelopeCodec.encode(poison), ErrorCode.AGENT_HANDLER_FAILED,
                    "boom; delivered 5 times");
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
            var sub = c.jetStream().subscribe(S.dm("cto-athena"),
                    io.nats.client.PullSubscribeOptions.bind(S.inboxStream(), "dm-cto-athena"));
            var got = sub.fetch(1, Duration.ofSeconds(5));
            assertThat(got).hasSize(1);
            Envelope again = EnvelopeCodec.decode(got.getFirst().getData());
            assertThat(again.id()).isNotEqualTo("P1");
            assertThat(again.extra().get("replay_of").textValue()).isEqualTo("P1");
            assertThat(c.jetStreamManagement().getStreamInfo(S.dlqStream()).getStreamState().getMsgCount()).isZero();
        }
        assertThat(run("dlq", "show", OrgmeshCommandTest.EXAMPLE, "1", "-s", server.clientUrl()).err())
                .contains("no dead letter with sequence 1");
    }

    /**
     * The attack of issue 22: an agent publishes a dead letter whose recorded destination is a JetStream API subject
     * (or an approval decision), hoping the operator's replay will publish it with unrestricted credentials. The
     * replay refuses (OM-2009), publishes nothing, and the dead letter stays.
     */
    @Test
    void aDeadLetterNamingAForeignDestinationIsNotReplayed(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Envelope bait = Envelope.builder().id("B1").from("backend-hephaestus").to("cto-athena").type("task")
                .subject("Replay me").build();
        String purge = "$JS.API.STREAM.PURGE." + S.auditStream();
        try (Connection c = Nats.connect(server.clientUrl())) {
            c.jetStream().publish(S.dm("cto-athena"), EnvelopeCodec.encode(bait));
            DeadLetters letters = new DeadLetters(c.jetStream(), c.jetStreamManagement(), S, Duration.ofSeconds(5));
            long before = c.jetStreamManagement().getStreamInfo(S.dlqStream()).getStreamState().getLastSequence();
            long original = 7;
            for (String destination : List.of(purge, S.humanApprove(), "other-co.dm.cto-athena")) {
                letters.publish(S.inboxStream(), original++, destination, new Headers(), EnvelopeCodec.encode(bait),
                        ErrorCode.AGENT_HANDLER_FAILED, "bait");
            }
            for (long seq = before + 1; seq <= before + 3; seq++) {
                Run replay = run("dlq", "replay", OrgmeshCommandTest.EXAMPLE, String.valueOf(seq), "--remove", "-s",
                        server.clientUrl());
                assertThat(replay.status()).isNotZero();
                assertThat(replay.err()).contains("OM-2009").contains("is not replayed");
            }
            var jsm = c.jetStreamManagement();
            var audit = jsm.getStreamInfo(S.auditStream()).getStreamState();
            assertThat(audit.getFirstSequence()).as("the audit stream was not purged").isEqualTo(1);
            assertThat(audit.getMsgCount()).isPositive();
            assertThat(jsm.getStreamInfo(S.dlqStream()).getStreamState().getLastSequence())
                    .as("nothing else was dead-lettered").isEqualTo(before + 3);
            for (long seq = before + 1; seq <= before + 3; seq++) {
                assertThat(jsm.getMessage(S.dlqStream(), seq)).as("the refused dead letter %d stays", seq).isNotNull();
            }
        }
    }

    static void publish(JetStream js, String subject, Envelope e) throws Exception {
        js.publish(subject, EnvelopeCodec.encode(e), PublishOptions.builder().messageId(e.id()).build());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
