package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/** Loop guards, the fields the runtime maintains on what a brain sends, and who hears of an overdue task. */
class GuardsTest {
    static final Org ORG = OrgLoader.parse(Fixture.ORG.formatted("acme"), "test");

    @Test
    void aThreadIsACycleOnceThisAgentAppearsInItsChainTheAllowedNumberOfTimes() {
        LoopGuards g = new LoopGuards("dev1", 2, 10, Clock.systemUTC());
        Envelope once = Fixture.envelope("dev2", "dev1", "ping").chain(java.util.List.of("dev1")).build();
        Envelope twice = Fixture.envelope("dev2", "dev1", "ping").chain(java.util.List.of("dev1", "dev2", "dev1"))
                .build();
        assertThat(g.isCycle(once)).isFalse();
        assertThat(g.visits(twice)).isEqualTo(2);
        assertThat(g.isCycle(twice)).isTrue();
    }

    @Test
    void aSenderOverThePerMinuteLimitIsEscalatedOnceThenDroppedUntilTheMinuteIsOver() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Clock clock = new Clock() {
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            public Clock withZone(ZoneId zone) {
                return this;
            }

            public Instant instant() {
                return now.get();
            }
        };
        LoopGuards g = new LoopGuards("cto", 3, 3, clock);
        for (int i = 0; i < 3; i++) {
            assertThat(g.admit("dev1")).isEqualTo(LoopGuards.Rate.OK);
            now.set(now.get().plusSeconds(1));
        }
        assertThat(g.admit("dev2")).as("another pair has its own budget").isEqualTo(LoopGuards.Rate.OK);
        assertThat(g.admit("dev1")).isEqualTo(LoopGuards.Rate.ESCALATE);
        assertThat(g.admit("dev1")).isEqualTo(LoopGuards.Rate.DROP);
        assertThat(g.admit("dev1")).isEqualTo(LoopGuards.Rate.DROP);
        now.set(now.get().plus(Duration.ofMinutes(2)));
        assertThat(g.admit("dev1")).as("a quiet minute later").isEqualTo(LoopGuards.Rate.OK);
    }

    @Test
    void whatABrainSendsContinuesTheThreadWhateverItWrote() {
        Envelope in = Fixture.envelope("ceo", "cto", "task").id("t-1").thread("th-0").hops(2)
                .chain(java.util.List.of("board")).build();
        Envelope fresh = Fixture.envelope(null, "dev1", "task").build();
        Envelope out = Pipeline.continuing(fresh, in);
        assertThat(out.hops()).isEqualTo(3);
        assertThat(out.chain()).containsExactly("board", "ceo");
        assertThat(out.thread()).isEqualTo("th-0");
        Envelope ownThread = Pipeline.continuing(fresh.toBuilder().thread("new").hops(0).build(), in);
        assertThat(ownThread.thread()).isEqualTo("new");
        assertThat(ownThread.hops()).as("a brain cannot reset hops").isEqualTo(3);
    }

    @Test
    void anOverdueTaskGoesToTheManagersOfItsAssignees() {
        DeadlineTracker t = new DeadlineTracker(ORG, "cto", Clock.systemUTC(), ZoneOffset.UTC, null, e -> {
        });
        assertThat(t.managersOf(Fixture.envelope("cto", "dev1", "task").build())).containsExactly("cto");
        assertThat(t.managersOf(Fixture.envelope("cto", "ceo", "task").build())).containsExactly("board");
        assertThat(t.managersOf(Fixture.envelope("cto", "team:exec", "task").build())).as("ceo; not cto itself")
                .containsExactly("board");
        assertThat(t.managersOf(Fixture.envelope("cto", "role:role-backend", "task").build()))
                .containsExactly("cto");
        assertThat(t.managersOf(Fixture.envelope("cto", "board", "task").build())).containsExactly("ceo");
        assertThat(t.managersOf(Fixture.envelope("cto", "all", "task").build())).containsExactly("ceo");
    }
}
