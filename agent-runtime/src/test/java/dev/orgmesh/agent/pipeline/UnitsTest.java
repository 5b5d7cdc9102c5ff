package dev.orgmesh.agent.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.ask.Fallback;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.protocol.org.Router;

/** The small plain pieces: recent ids, routing, escalation rules, backoff, outcomes, fallbacks. */
class UnitsTest {
    static final Org ORG = OrgLoader.parse(Fixture.ORG.formatted("acme"), "test");

    @Test
    void recentIdsForgetTheOldestFirst() {
        RecentIds ids = new RecentIds(2);
        assertThat(ids.add("a")).isTrue();
        assertThat(ids.add("a")).isFalse();
        ids.add("b");
        ids.add("c");
        assertThat(ids.contains("a")).isFalse();
        assertThat(ids.contains("c")).isTrue();
        assertThat(ids.size()).isEqualTo(2);
    }

    @Test
    void theTimerDropsACancelledTimeoutAtOnceInsteadOfHoldingItsMessageUntilItsTime() {
        var timer = (ScheduledThreadPoolExecutor) Workers.timer();
        try {
            for (int i = 0; i < 1_000; i++) { // a message's handler timeout, cancelled when it is handled
                timer.schedule(() -> {
                }, 15, TimeUnit.MINUTES).cancel(false);
            }
            assertThat(timer.getQueue()).isEmpty();
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void routesByRecipientWithTheSenderAndRefusesUnknownOnes() {
        Router r = new Router(ORG);
        assertThat(r.subjectFor(Fixture.envelope("cto", "ceo", "report").build())).isEqualTo("acme.dm.ceo.cto");
        assertThat(r.subjectFor(Fixture.envelope("cto", "team:eng", "task").build())).isEqualTo("acme.eng.cto");
        assertThat(r.subjectFor(Fixture.envelope("cto", "role:role-backend", "task").build()))
                .isEqualTo("acme.tasks.role-backend.cto");
        assertThat(r.subjectFor(Fixture.envelope("cto", "all", "status").build())).isEqualTo("acme.all.cto");
        assertThat(r.subjectFor(Fixture.envelope("cto", "board", "report").build())).isEqualTo("acme.dm.board.cto");
        assertThatThrownBy(() -> r.subjectFor(Fixture.envelope("cto", "nobody", "report").build()))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ENVELOPE_BAD_VALUE));
        assertThatThrownBy(() -> r.subjectFor(Fixture.envelope("cto", "role:role-chef", "task").build()))
                .isInstanceOf(OrgmeshException.class);
    }

    @Test
    void deadLettersGoToTheSendersManagerOrTheHumanAtTheTop() {
        Escalations e = new Escalations(ORG, "dev1");
        assertThat(e.ownManager()).isEqualTo("cto");
        assertThat(e.forDeadLetterFrom("dev2")).isEqualTo("cto");
        assertThat(e.forDeadLetterFrom("ceo")).isEqualTo("board");
        assertThat(e.forDeadLetterFrom("board")).isEqualTo("board");
        assertThat(e.forDeadLetterFrom("stranger")).isEqualTo("cto");
        assertThat(e.forDeadLetterFrom(null)).isEqualTo("cto");
        Envelope about = Fixture.envelope("dev2", "dev1", "task").id("t-1").subject("build").build();
        Envelope esc = e.escalation(about, null, "cto", ErrorCode.AGENT_BLOCKED, "needs a key", "x-1");
        assertThat(esc.id()).isEqualTo("x-1");
        assertThat(esc.to()).isEqualTo("cto");
        assertThat(esc.re()).isEqualTo("t-1");
        assertThat(esc.context()).startsWith("OM-4005 AGENT_BLOCKED: needs a key");
    }

    @Test
    void backoffDoublesUpToItsCap() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(b.delay(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(b.delay(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(b.delay(50)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aReplyIsPublishedUnlessItAnswersARequest() {
        Envelope reply = Fixture.envelope("cto", "ceo", "answer").build();
        Envelope note = Fixture.envelope("cto", "team:exec", "status").build();
        Outcome o = Outcome.reply(reply, note);
        assertThat(o.published(false)).containsExactly(reply, note);
        assertThat(o.published(true)).containsExactly(note);
        assertThat(Outcome.blocked("x").published(false)).isEmpty();
    }

    @Test
    void fallbacksStateTheirLongestWait() {
        assertThat(Fallback.none().attempts()).isEqualTo(1);
        assertThat(Fallback.retry(2).attempts()).isEqualTo(3);
        assertThat(Fallback.askManager().attempts()).isEqualTo(2);
        assertThatThrownBy(() -> Fallback.retry(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
