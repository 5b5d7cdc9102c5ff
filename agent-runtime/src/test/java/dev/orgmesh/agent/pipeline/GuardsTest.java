package dev.orgmesh.agent.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.EscalationPolicy;

/** The guards one by one, and their order, without NATS: each is a plain class. */
class GuardsTest {
    static final Subjects S = Subjects.of("acme");
    static final Guards.TrueSender TRUE_SENDER = new Guards.TrueSender(S);

    static Guards.Inspection on(String subject, String source, Envelope in) {
        return new Guards.Inspection(in, null, subject, source, null, 1, false, false);
    }

    static Envelope from(String from, String to) {
        return Envelope.builder().id("m-1").from(from).to(to).type("task").build();
    }

    @Test
    void theTrueSenderIsTheSubjectsLastTokenOnEverySource() {
        assertThat(TRUE_SENDER.check(on(S.dm("cto", "ceo"), "dm", from("ceo", "cto")))).isNull();
        assertThat(TRUE_SENDER.check(on(S.team("exec", "ceo"), "team", from("ceo", "team:exec")))).isNull();
        assertThat(TRUE_SENDER.check(on(S.all("ceo"), "all", from("ceo", "all")))).isNull();
        assertThat(TRUE_SENDER.check(on(S.tasks("role-dev", "ceo"), "tasks", from("ceo", "role:role-dev")))).isNull();
        assertThat(TRUE_SENDER.check(on(S.event("ceo", "deploy.done"), "events:deploy.>", from("ceo", "all"))))
                .isNull();
        assertThat(TRUE_SENDER.check(on(S.ask("cto", "ceo"), "ask", from("ceo", "cto")))).isNull();
        assertThat(TRUE_SENDER.check(on(S.heartbeat("cto"), "heartbeat", from("heartbeat", "cto")))).isNull();

        // claiming someone else: forged, and the real sender is named for the reply
        for (Guards.Inspection x : List.of(on(S.dm("cto", "dev1"), "dm", from("ceo", "cto")),
                on(S.all("dev1"), "all", from("ceo", "all")), on(S.event("dev1", "x"), "events:x", from("ceo", "all")),
                on(S.ask("cto", "dev1"), "ask", from("ceo", "cto")))) {
            Step s = TRUE_SENDER.check(x);
            assertThat(s).as(x.subject()).isInstanceOfSatisfying(Step.Malformed.class, m -> {
                assertThat(m.error().code()).isEqualTo(ErrorCode.ENVELOPE_FORGED_SENDER);
                assertThat(m.error().getMessage()).contains("says it is from 'ceo' but was sent by 'dev1'");
                assertThat(m.realSender()).isEqualTo("dev1");
            });
        }
        // a tick said by anyone but the heartbeat service, and a subject that names no sender
        assertThat(TRUE_SENDER.check(on(S.heartbeat("cto"), "heartbeat", from("ceo", "cto"))))
                .isInstanceOf(Step.Malformed.class);
        assertThat(TRUE_SENDER.check(on(S.dm("cto"), "dm", from("ceo", "cto"))))
                .isInstanceOfSatisfying(Step.Malformed.class, m -> assertThat(m.error().getMessage())
                        .contains("names no sender"));
    }

    @Test
    void aMessageMustBeAddressedToWhereItsSubjectGoes() {
        for (Guards.Inspection x : List.of(on(S.dm("cto", "ceo"), "dm", from("ceo", "dev2")),
                on(S.team("exec", "ceo"), "team", from("ceo", "all")),
                on(S.tasks("role-dev", "ceo"), "tasks", from("ceo", "role:role-ops")),
                on(S.dm("cto", "ceo"), "dm", from("ceo", "not a recipient")))) {
            assertThat(TRUE_SENDER.check(x)).as(x.in().to()).isInstanceOfSatisfying(Step.Malformed.class,
                    m -> assertThat(m.error().code()).isEqualTo(ErrorCode.ENVELOPE_BAD_VALUE));
        }
        // an ask to cfo "addressed" to someone else would miss a gate on cfo
        assertThat(TRUE_SENDER.check(on(S.ask("cfo", "ceo"), "ask", from("ceo", "cto"))))
                .isInstanceOf(Step.Malformed.class);
        // an event names its recipient in the envelope only
        assertThat(TRUE_SENDER.check(on(S.event("ceo", "x"), "events:x", from("ceo", "cto")))).isNull();
    }

    @Test
    void ownMessagesHopsAndDeadlines() {
        Guards.OwnMessage own = new Guards.OwnMessage("cto");
        assertThat(own.check(on(S.team("exec", "cto"), "team", from("cto", "team:exec"))))
                .isInstanceOf(Step.Skip.class);
        assertThat(own.check(on(S.dm("cto", "cto"), "dm", from("cto", "cto")))).as("a note to oneself").isNull();

        Guards.Hops hops = new Guards.Hops(10);
        Envelope far = from("ceo", "cto").toBuilder().hops(11).build();
        assertThat(hops.check(on(S.dm("cto", "ceo"), "dm", far))).isInstanceOfSatisfying(Step.Report.class,
                r -> assertThat(r.code()).isEqualTo(ErrorCode.AGENT_LOOP_DETECTED));
        assertThat(hops.check(on(S.dm("cto", "ceo"), "dm", far.toBuilder().type("escalation").build())))
                .as("an escalation climbs a tree, it is no loop").isNull();

        Clock clock = Clock.fixed(Instant.parse("2026-04-08T12:00:00Z"), ZoneOffset.UTC);
        Guards.Deadline deadline = new Guards.Deadline("cto", EscalationPolicy.LateTasks.ESCALATE, ZoneOffset.UTC,
                clock);
        assertThat(deadline.check(on(S.dm("cto", "ceo"), "dm",
                from("ceo", "cto").toBuilder().deadline("2026-04-07").build())))
                .isInstanceOfSatisfying(Step.Report.class,
                        r -> assertThat(r.code()).isEqualTo(ErrorCode.AGENT_DEADLINE_PASSED));
        assertThat(deadline.check(on(S.dm("cto", "ceo"), "dm",
                from("ceo", "cto").toBuilder().deadline("2026-04-08").build()))).as("ends at the day's end").isNull();
    }

    /** Issue 23: a message that arrives past its deadline follows the org's {@code late_tasks}. */
    @Test
    void aLateMessageIsWorkedAndFlaggedOrEscalatedAsTheOrgSays() {
        Clock clock = Clock.fixed(Instant.parse("2026-04-08T12:00:00Z"), ZoneOffset.UTC);
        Envelope late = from("ceo", "cto").toBuilder().deadline("2026-04-08T11:59:00Z").build();
        Envelope onTime = from("ceo", "cto").toBuilder().deadline("2026-04-08T12:01:00Z").build();

        Guards.Deadline work = new Guards.Deadline("cto", EscalationPolicy.LateTasks.WORK, ZoneOffset.UTC, clock);
        assertThat(work.check(on(S.dm("cto", "ceo"), "dm", late))).as("handled, flagged late")
                .isEqualTo(new Step.Work(late, true));
        assertThat(work.check(on(S.dm("cto", "ceo"), "dm", onTime))).isNull();
        assertThat(work.check(on(S.dm("cto", "ceo"), "dm", from("ceo", "cto")))).as("no deadline").isNull();

        Guards.Deadline escalate = new Guards.Deadline("cto", EscalationPolicy.LateTasks.ESCALATE, ZoneOffset.UTC,
                clock);
        assertThat(escalate.check(on(S.tasks("role-cto", "ceo"), "tasks", late)))
                .isInstanceOfSatisfying(Step.Report.class, r -> {
                    assertThat(r.code()).isEqualTo(ErrorCode.AGENT_DEADLINE_PASSED);
                    assertThat(r.reason()).contains("2026-04-08T11:59:00Z").contains("late_tasks is escalate");
                });
        assertThat(escalate.check(on(S.dm("cto", "ceo"), "dm", onTime))).isNull();
    }

    /**
     * The deadline guard is last in the runtime's order: its {@code work} verdict must not let a late message skip the
     * guards before it (here, the per-sender rate limit).
     */
    @Test
    void theLateVerdictComesAfterEveryOtherGuard() {
        Clock clock = Clock.fixed(Instant.parse("2026-04-08T12:00:00Z"), ZoneOffset.UTC);
        LoopGuards loops = new LoopGuards("cto", 3, 1, clock);
        Guards guards = new Guards(List.of(new Guards.PingPong("cto", loops),
                new Guards.Deadline("cto", EscalationPolicy.LateTasks.WORK, ZoneOffset.UTC, clock)));
        Envelope late = from("ceo", "cto").toBuilder().deadline("2026-04-07").build();
        assertThat(guards.run(on(S.dm("cto", "ceo"), "dm", late))).isEqualTo(new Step.Work(late, true));
        assertThat(guards.run(on(S.dm("cto", "ceo"), "dm", late))).as("the second DM within a minute is over the limit")
                .isInstanceOfSatisfying(Step.Report.class,
                        r -> assertThat(r.code()).isEqualTo(ErrorCode.AGENT_LOOP_DETECTED));
    }

    @Test
    void theFirstVerdictInOrderDecidesAndNoneMeansWork() {
        List<String> asked = new ArrayList<>();
        Guards guards = new Guards(List.of(x -> {
            asked.add("first");
            return null;
        }, x -> {
            asked.add("second");
            return new Step.Skip(x.in(), "second says so");
        }, x -> {
            asked.add("third");
            return null;
        }));
        Envelope in = from("ceo", "cto");
        assertThat(guards.run(on(S.dm("cto", "ceo"), "dm", in))).isEqualTo(new Step.Skip(in, "second says so"));
        assertThat(asked).containsExactly("first", "second");
        assertThat(new Guards(List.of(x -> null)).run(on(S.dm("cto", "ceo"), "dm", in)))
                .isEqualTo(new Step.Work(in));
    }
}
