package dev.orgmesh.protocol.org;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;

class OrgLoaderTest {
    static final Path EXAMPLE = Path.of("..", "examples", "komodo-ai.yaml");

    @Test
    void exampleOrgIsValid() {
        Org org = OrgLoader.load(EXAMPLE);
        assertThat(org.company()).isEqualTo("komodo-ai");
        assertThat(org.humans()).extracting(Human::id).containsExactly("board");
        assertThat(org.agents()).extracting(Agent::id)
                .containsExactly("ceo-genesis", "cto-athena", "backend-hephaestus", "devops-hermes", "security-argus");
        assertThat(org.manager("cto-athena")).map(Member::id).contains("ceo-genesis");
        assertThat(org.chainOfCommand("backend-hephaestus")).extracting(Member::id)
                .containsExactly("cto-athena", "ceo-genesis", "board");
        assertThat(org.roleMembers("role-backend")).extracting(Agent::id).containsExactly("backend-hephaestus");
        assertThat(org.hub().url()).isEqualTo("nats-leaf://komodo-ai-nats-hub.internal:7422");
        assertThat(org.agent("cto-athena").orElseThrow().secrets()).containsExactly("GITHUB_TOKEN");
        assertThat(org.agent("cto-athena").orElseThrow().soul()).containsEntry("specialization",
                "platform engineering");
    }

    @Test
    void layersMergePlatformCompanyTeamAgent() {
        Org org = OrgLoader.load(EXAMPLE);
        HeartbeatSpec ceo = org.agent("ceo-genesis").orElseThrow().heartbeat();
        assertThat(ceo.every()).isEqualTo(Duration.ofMinutes(10));
        assertThat(ceo.tz()).isEqualTo(ZoneId.of("America/New_York"));
        assertThat(ceo.activeHours()).hasToString("06:00-22:00");
        assertThat(ceo.prompt()).isEqualTo(HeartbeatSpec.DEFAULT_PROMPT);

        HeartbeatSpec backend = org.agent("backend-hephaestus").orElseThrow().heartbeat();
        assertThat(backend.every()).as("team layer wins").isEqualTo(Duration.ofMinutes(30));
        assertThat(backend.tz()).as("company layer still applies").isEqualTo(ZoneId.of("America/New_York"));

        HeartbeatSpec security = org.agent("security-argus").orElseThrow().heartbeat();
        assertThat(security.cron()).isEqualTo("0 */2 * * *");
        assertThat(security.every()).as("a cron layer clears an inherited 'every'").isNull();

        assertThat(org.agent("ceo-genesis").orElseThrow().brain().kind()).isEqualTo("scripted");
    }

    @Test
    void agentLayerOverridesAndListsReplace() {
        Org org = OrgLoader.parse(
                """
                        company: acme
                        defaults: { events: [deployment], heartbeat: { every: 5m } }
                        teams: { ops: { defaults: { events: [security.>] } } }
                        humans: [ { id: boss } ]
                        agents:
                          - { id: a1, role: role-ops, team: ops, reports_to: boss }
                          - { id: a2, role: role-ops, team: ops, reports_to: a1, events: [agent.down], heartbeat: { enabled: false } }
                        """,
                "test");
        assertThat(org.agent("a1").orElseThrow().events()).containsExactly("security.>");
        assertThat(org.agent("a2").orElseThrow().events()).containsExactly("agent.down");
        assertThat(org.agent("a2").orElseThrow().heartbeat().enabled()).isFalse();
        assertThat(org.agent("a2").orElseThrow().heartbeat().every()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void anUnquotedOffInRoleActionsTurnsTheActionOff() {
        Org org = OrgLoader.parse("""
                company: acme
                teams: { ops: {} }
                humans: [ { id: boss } ]
                roles: { role-x: { actions: { publish: off, send: "off", secret: on, ask: approval } } }
                agents:
                  - { id: a1, role: role-x, team: ops, reports_to: boss }
                """, "test");
        RolePolicy p = org.policy("role-x");
        assertThat(p.permission(ActionKind.PUBLISH)).as("YAML 1.1 reads off as false").isEqualTo(
                RolePolicy.Permission.OFF);
        assertThat(p.permission(ActionKind.SEND)).isEqualTo(RolePolicy.Permission.OFF);
        assertThat(p.permission(ActionKind.SECRET)).isEqualTo(RolePolicy.Permission.ALLOWED);
        assertThat(p.permission(ActionKind.ASK)).isEqualTo(RolePolicy.Permission.APPROVAL);
        assertThat(p.permission(ActionKind.ENQUEUE)).as("unnamed: the default").isEqualTo(
                RolePolicy.Permission.ALLOWED);
    }

    @Test
    void jsonOrgFilesWork() {
        Org org = OrgLoader.parse("""
                {"company":"acme","teams":{"ops":{}},"humans":[{"id":"boss"}],
                 "agents":[{"id":"a1","role":"role-ops","team":"ops","reports_to":"boss"}]}""", "test.json");
        assertThat(org.agents()).hasSize(1);
        assertThat(org.teams().get("ops").name()).isEqualTo("ops");
    }

    @Test
    void brokenOrgReportsEveryErrorAtOnceWithPaths() {
        String broken = """
                company: komodo-ai
                teams:
                  exec: { name: Executive }
                  dm: { name: Direct }
                humans:
                  - { id: board }
                agents:
                  - { id: ceo-genesis, role: role-ceo, team: exec, reports_to: board }
                  - { id: cto-athena, role: role-cto, team: exec, reports_to: ceo-genesys }
                  - { id: cto-athena, role: role-cto, team: exec, reports_to: board }
                  - { id: eng.lead, role: role-eng, team: exec, reports_to: board }
                  - { id: loop-a, role: role-x, team: exec, reports_to: loop-b }
                  - { id: loop-b, role: role-x, team: exec, reports_to: loop-a, heartbeat: { every: 10 minutes } }
                """;
        assertThatThrownBy(() -> OrgLoader.parse(broken, "broken.yaml"))
                .isInstanceOfSatisfying(OrgInvalidException.class, e -> {
                    List<String> lines = e.problems().stream().map(OrgProblem::toString).toList();
                    assertThat(lines).anySatisfy(l -> assertThat(l)
                            .startsWith("agents[1].reports_to: unknown member 'ceo-genesys'")
                            .contains("did you mean 'ceo-genesis'?"));
                    assertThat(lines)
                            .anySatisfy(l -> assertThat(l).startsWith("agents[2].id: duplicate id 'cto-athena'"));
                    assertThat(lines).anySatisfy(
                            l -> assertThat(l).startsWith("agents[3].id: 'eng.lead' is not a safe NATS token"));
                    assertThat(lines).anySatisfy(
                            l -> assertThat(l).startsWith("teams.dm: team id 'dm' is a reserved subject word"));
                    assertThat(lines).anySatisfy(l -> assertThat(l)
                            .startsWith("agents[4].reports_to: reporting cycle loop-a → loop-b → loop-a"));
                    assertThat(lines).anySatisfy(
                            l -> assertThat(l).startsWith("agents[5].heartbeat.every: '10 minutes' is not a duration"));
                    assertThat(e.problems()).extracting(OrgProblem::code).contains(ErrorCode.ORG_UNKNOWN_MEMBER,
                            ErrorCode.ORG_DUPLICATE_ID, ErrorCode.ORG_BAD_ID, ErrorCode.ORG_RESERVED_WORD,
                            ErrorCode.ORG_REPORTING_CYCLE, ErrorCode.ORG_BAD_DURATION);
                    assertThat(e.problems()).as("the cycle is reported once, not once per member")
                            .filteredOn(p -> p.code() == ErrorCode.ORG_REPORTING_CYCLE).hasSize(1);
                    assertThat(e.getMessage()).contains("broken.yaml").contains(e.problems().size() + " problems");
                });
    }

    @Test
    void cronTimeZoneHoursAndTyposAreCaught() {
        List<OrgProblem> problems = OrgLoader.problems("""
                company: acme
                teams: { ops: {} }
                humans: [ { id: boss } ]
                agents:
                  - id: a1
                    role: role-ops
                    team: opz
                    reprts_to: boss
                    heartbeat: { cron: "61 * * * *", tz: America/New_Yrok, active_hours: "25:00-06:00" }
                    brain: { kind: scriptd }
                    events: ["security..x"]
                    secrets: ["not a name"]
                """);
        List<String> lines = problems.stream().map(OrgProblem::toString).toList();
        assertThat(lines)
                .anySatisfy(l -> assertThat(l).startsWith("agents[0].team: unknown team 'opz'").contains("'ops'"));
        assertThat(lines).anySatisfy(
                l -> assertThat(l).startsWith("agents[0].reprts_to: unknown field").contains("'reports_to'"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("agents[0].reports_to: missing"));
        assertThat(lines).anySatisfy(
                l -> assertThat(l).startsWith("agents[0].heartbeat.cron: '61 * * * *' is not a valid cron"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("agents[0].heartbeat.tz: unknown time zone")
                .contains("America/New_York"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("agents[0].heartbeat.active_hours:"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("agents[0].brain.kind: unknown brain kind 'scriptd'")
                .contains("'scripted'"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("agents[0].events[0]:"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("agents[0].secrets[0]:"));
    }

    @Test
    void sixFieldCronAndWrongHubPort() {
        List<OrgProblem> problems = OrgLoader.problems("""
                company: acme
                hub: { url: "nats://hub.internal:4222" }
                teams: { ops: { defaults: { heartbeat: { cron: "0 30 9 * * MON-FRI" } } } }
                humans: [ { id: boss } ]
                agents: [ { id: a1, role: role-ops, team: ops, reports_to: boss } ]
                """);
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.code()).isEqualTo(ErrorCode.ORG_BAD_HUB_URL);
            assertThat(p.message()).contains("4222").contains("7422");
        });
    }

    /** Issue 23: the escalation policy, its defaults and its errors. */
    @Test
    void escalationStepTimeoutAndLatePolicy() {
        String base = """
                company: acme
                teams: { ops: {} }
                humans: [ { id: boss } ]
                agents: [ { id: a1, role: role-ops, team: ops, reports_to: boss } ]
                """;
        assertThat(OrgLoader.parse(base, "t").oversight().escalation()).isEqualTo(EscalationPolicy.DEFAULT)
                .isEqualTo(new EscalationPolicy(Duration.ofMinutes(30), EscalationPolicy.LateTasks.WORK));
        assertThat(OrgLoader.parse(base + "escalation: { step_timeout: 1h30m, late_tasks: escalate }\n", "t")
                .oversight().escalation())
                .isEqualTo(new EscalationPolicy(Duration.ofMinutes(90), EscalationPolicy.LateTasks.ESCALATE));
        assertThat(OrgLoader.parse(base + "escalation: { late_tasks: escalate }\n", "t").oversight().escalation()
                .stepTimeout()).as("each key has its default").isEqualTo(Duration.ofMinutes(30));

        List<OrgProblem> problems = OrgLoader.problems(base
                + "escalation: { step_timeout: soon, late_tasks: ignore, step: 5m }\n");
        assertThat(problems).extracting(OrgProblem::path).containsExactlyInAnyOrder("escalation.step_timeout",
                "escalation.late_tasks", "escalation.step");
        assertThat(problems).filteredOn(p -> p.path().equals("escalation.step_timeout")).singleElement()
                .satisfies(p -> assertThat(p.code()).isEqualTo(ErrorCode.ORG_BAD_DURATION));
        assertThat(problems).filteredOn(p -> p.path().equals("escalation.late_tasks")).singleElement()
                .satisfies(p -> {
                    assertThat(p.code()).isEqualTo(ErrorCode.ORG_BAD_VALUE);
                    assertThat(p.message()).contains("'ignore'");
                    assertThat(p.hint()).contains("work").contains("escalate");
                });
        assertThat(OrgLoader.problems(base + "escalation: { step_timeout: 0s }\n")).singleElement()
                .satisfies(p -> assertThat(p.code()).isEqualTo(ErrorCode.ORG_BAD_DURATION));
        assertThat(OrgLoader.problems(base + "escalation: 30m\n")).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("must be a mapping"));
    }

    @Test
    void unreadableYamlIsOneProblemWithALine() {
        List<OrgProblem> problems = OrgLoader.problems("company: [unclosed\nagents: x");
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.code()).isEqualTo(ErrorCode.ORG_UNREADABLE);
            assertThat(p.path()).startsWith("line ");
        });
    }

    @Test
    void hubUrlGetsTheLeafnodePortWhenAbsent() {
        assertThat(HubUrl.check("nats-leaf://hub.internal")).isEqualTo("nats-leaf://hub.internal:7422");
        assertThat(HubUrl.check("tls://hub.internal:7422")).isEqualTo("tls://hub.internal:7422");
        assertThatThrownBy(() -> HubUrl.check("nats-leaf://hub.internal:4222"))
                .hasMessageContaining("leafnode port 7422");
        assertThatThrownBy(() -> HubUrl.check("http://hub")).hasMessageContaining("nats-leaf://");
    }

    @Test
    void chartShowsTheReportingTree() {
        String chart = OrgChart.text(OrgLoader.load(EXAMPLE));
        assertThat(chart).isEqualTo("""
                komodo-ai — Komodo AI
                └── board — The Board (human)
                    └── ceo-genesis — Genesis (role-ceo, exec)
                        └── cto-athena — Athena (role-cto, exec)
                            ├── backend-hephaestus — Hephaestus (role-backend, eng)
                            ├── devops-hermes — Hermes (role-devops, eng)
                            └── security-argus — Argus (role-security, security)
                """);
        String mermaid = OrgChart.mermaid(OrgLoader.load(EXAMPLE));
        assertThat(mermaid).startsWith("flowchart TD").contains("m_ceo_genesis --> m_cto_athena")
                .contains("subgraph team_m_eng[\"Engineering\"]");
    }
}
