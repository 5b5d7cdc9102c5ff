package dev.orgmesh.agent.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.EscalationPolicy;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * Issue 23: who each step of an escalation ladder tells, what it says and how its state is stored — without NATS (no
 * store, nothing sent: only the tracker's rules).
 */
class EscalationLadderTest {
    static final Org ORG = OrgLoader.parse("""
            company: acme
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board }
              - { id: cto, role: role-cto, team: exec, reports_to: ceo }
              - { id: lead, role: role-lead, team: eng, reports_to: cto }
              - { id: dev1, role: role-backend, team: eng, reports_to: lead }
              - { id: dev2, role: role-backend, team: eng, reports_to: lead }
            escalation: { step_timeout: 10m, late_tasks: escalate }
            """, "test");
    static final Instant NOW = Instant.parse("2026-04-08T12:00:00Z");

    static DeadlineTracker tracker(String self) {
        return new DeadlineTracker(ORG, self, new Escalations(ORG, self), Clock.fixed(NOW, ZoneOffset.UTC),
                ZoneOffset.UTC, null, Runnable::run, null, null, Duration.ofMinutes(10), Duration.ofSeconds(1));
    }

    static DeadlineTracker.Ladder atStep(Envelope task, int step, List<String> current, List<String> told) {
        return new DeadlineTracker.Ladder(task.id(), DeadlineTracker.Kind.DEADLINE, EnvelopeCodec.toTree(task), step,
                current, told, List.of(), NOW, true, "task t1 was due and no report came back");
    }

    @Test
    void theOrgFileSetsTheStepTimeoutAndTheLatePolicy() {
        assertThat(ORG.oversight().escalation())
                .isEqualTo(new EscalationPolicy(Duration.ofMinutes(10), EscalationPolicy.LateTasks.ESCALATE));
    }

    @Test
    void aTaskClimbsOneLevelPerStepUntilAHuman() {
        DeadlineTracker t = tracker("dev2");
        Envelope task = Envelope.builder().id("t1").from("dev2").to("dev1").type("task").subject("build it")
                .deadline("2026-04-08T11:00:00Z").build();
        assertThat(t.nextLevel(atStep(task, 0, List.of(), List.of()))).as("step 1: the assignee's manager")
                .containsExactly("lead");
        assertThat(t.nextLevel(atStep(task, 1, List.of("lead"), List.of("1:lead")))).containsExactly("cto");
        assertThat(t.nextLevel(atStep(task, 2, List.of("cto"), List.of("1:lead", "2:cto")))).containsExactly("ceo");
        assertThat(t.nextLevel(atStep(task, 3, List.of("ceo"), List.of()))).as("a human is the last step")
                .containsExactly("board");
        assertThat(t.nextLevel(atStep(task, 4, List.of("board"), List.of()))).as("nothing above a human").isEmpty();
    }

    @Test
    void theWatchingAgentIsSkippedOnTheWayUp() {
        // cto sent the task to dev1: step 1 is lead, step 2 would be cto itself, so it is cto's manager
        DeadlineTracker t = tracker("cto");
        Envelope task = Envelope.builder().id("t1").from("cto").to("dev1").type("task").build();
        assertThat(t.nextLevel(atStep(task, 1, List.of("lead"), List.of("1:lead")))).containsExactly("ceo");
    }

    @Test
    void aTeamTaskClimbsFromEveryAssigneesManagerOnce() {
        DeadlineTracker t = tracker("ceo");
        Envelope task = Envelope.builder().id("t1").from("ceo").to("team:eng").type("task").build();
        assertThat(t.nextLevel(atStep(task, 0, List.of(), List.of())))
                .as("lead manages dev1 and dev2; cto manages lead")
                .containsExactly("cto", "lead");
        assertThat(t.nextLevel(atStep(task, 1, List.of("cto", "lead"), List.of("1:cto", "1:lead"))))
                .as("above cto is ceo, the watcher, so its manager; above lead is cto, told already")
                .containsExactly("board");
    }

    @Test
    void eachStepSaysWhichStepWhoWasToldBeforeAndWhy() {
        DeadlineTracker t = tracker("dev2");
        Envelope task = Envelope.builder().id("t1").from("dev2").to("dev1").type("task").subject("build it").build();
        Envelope esc = t.escalation(atStep(task, 3, List.of("ceo"), List.of("1:lead", "2:cto", "3:ceo")), "ceo");
        assertThat(esc.type()).isEqualTo("escalation");
        assertThat(esc.to()).isEqualTo("ceo");
        assertThat(esc.re()).isEqualTo("t1");
        assertThat(esc.id()).as("derived, so a resend is a duplicate").isEqualTo("t1-dev2-esc3-ceo")
                .isEqualTo(t.escalationId("t1", 3, "ceo"));
        assertThat(esc.context()).contains("OM-4010").contains("step 3 of the escalation about t1")
                .contains("told before: lead (step 1), cto (step 2)").contains("PT10M")
                .contains("no report came back");
        assertThat(esc.extra().get(DeadlineTracker.STEP_FIELD).asInt()).isEqualTo(3);
        assertThat(esc.extra().get(DeadlineTracker.TOLD_FIELD)).hasSize(2);
        assertThat(esc.extra().get("original").path("subject").asText()).isEqualTo("build it");

        Envelope first = t.escalation(atStep(task, 1, List.of("lead"), List.of("1:lead")), "lead");
        assertThat(first.context()).contains("OM-4003").contains("step 1: telling lead");
        Envelope top = t.escalation(atStep(task, 4, List.of("board"), List.of("1:lead", "2:cto", "3:ceo", "4:board")),
                "board");
        assertThat(top.context()).contains("a human: the last step");
    }

    @Test
    void aLadderIsStoredAndReadBackWhole() {
        Envelope task = Envelope.builder().id("t1").from("dev2").to("dev1").type("task").subject("build it").build();
        DeadlineTracker.Ladder l = new DeadlineTracker.Ladder("t1", DeadlineTracker.Kind.BRAIN,
                EnvelopeCodec.toTree(task), 2, List.of("cto"), List.of("1:lead", "2:cto"),
                List.of("t1-dev2-esc1-lead", "t1-dev2-esc2-cto"), NOW.plusSeconds(600), false, "blocked: no key");
        DeadlineTracker.Ladder back = DeadlineTracker.Ladder.decode(l.encode());
        assertThat(back).isEqualTo(l);
    }
}
