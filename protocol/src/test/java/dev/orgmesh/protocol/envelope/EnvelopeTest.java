package dev.orgmesh.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

class EnvelopeTest {
    private final Envelope task = Envelope.builder()
            .id("01TASK")
            .from("ceo-genesis")
            .to("team:exec")
            .type("task")
            .subject("Evaluate Node.js 18 → 22 migration")
            .build();

    @Test
    void idAndTimestampAreGeneratedOnlyWhenAbsent() {
        Envelope withId = Envelope.builder().type("task").build().withIdIfAbsent();
        assertThat(withId.id()).hasSize(26);
        assertThat(withId.ts()).isNotNull();
        assertThat(withId.withIdIfAbsent()).isSameAs(withId);
    }

    @Test
    void reportAnswersTheTaskOnItsThread() {
        Envelope report = task.report("cto-athena", "complete", "Migration is safe.").build();
        assertThat(report.to()).isEqualTo("ceo-genesis");
        assertThat(report.re()).isEqualTo("01TASK");
        assertThat(report.thread()).isEqualTo("01TASK");
        assertThat(report.hops()).isEqualTo(1);
        assertThat(report.chain()).containsExactly("ceo-genesis");
        assertThat(report.type()).isEqualTo("report");
        assertThat(report.subject()).isEqualTo(task.subject());

        Envelope followUp = report.followUp("ceo-genesis", "task").to("team:exec").build();
        assertThat(followUp.thread()).isEqualTo("01TASK");
        assertThat(followUp.re()).isEqualTo(report.id());
        assertThat(followUp.hops()).isEqualTo(2);
        assertThat(followUp.chain()).containsExactly("ceo-genesis", "cto-athena");
    }

    @Test
    void escalationAttachesTheOriginal() {
        Envelope esc = task.escalation("cto-athena", "ceo-genesis", "brain reported blocked: no access",
                EnvelopeCodec.toTree(task)).build();
        assertThat(esc.type()).isEqualTo("escalation");
        assertThat(esc.priority()).isEqualTo(Priority.HIGH);
        assertThat(esc.context()).contains("blocked");
        assertThat(esc.extra().get("original").get("id").textValue()).isEqualTo("01TASK");
        assertThat(esc.re()).isEqualTo("01TASK");
    }

    @Test
    void chainDoesNotRepeatTheSameSenderTwiceInARow() {
        Envelope a = Envelope.builder().id("1").from("a").type("task").chain(java.util.List.of("x", "a")).build();
        assertThat(a.reply("b", "answer").build().chain()).containsExactly("x", "a");
    }

    @Test
    void extraCannotShadowAKnownField() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Envelope.builder().extra("from",
                JsonNodeFactory.instance.textNode("x"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deadlinesInEveryForm() {
        ZoneId ny = ZoneId.of("America/New_York");
        assertThat(Deadlines.parse("2026-04-07", ny)).contains(Instant.parse("2026-04-08T04:00:00Z"));
        assertThat(Deadlines.parse("2026-04-07T10:00:00Z", ny)).contains(Instant.parse("2026-04-07T10:00:00Z"));
        assertThat(Deadlines.parse("2026-04-07T10:00:00+02:00", ny)).contains(Instant.parse("2026-04-07T08:00:00Z"));
        assertThat(Deadlines.parse("next tuesday", ny)).isEmpty();
    }

    @Test
    void recipients() {
        var s = dev.orgmesh.protocol.Subjects.of("komodo-ai");
        assertThat(Recipient.parse("cto-athena").subject(s)).isEqualTo("komodo-ai.dm.cto-athena");
        assertThat(Recipient.parse("team:exec").subject(s)).isEqualTo("komodo-ai.exec");
        assertThat(Recipient.parse("role:role-backend").subject(s)).isEqualTo("komodo-ai.tasks.role-backend");
        assertThat(Recipient.parse("all").subject(s)).isEqualTo("komodo-ai.all");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Recipient.parse("team:ex.ec"))
                .hasMessageContaining("team:ex.ec");
    }
}
