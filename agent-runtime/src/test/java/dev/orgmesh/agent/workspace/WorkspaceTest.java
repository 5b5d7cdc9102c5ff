package dev.orgmesh.agent.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.agent.artifact.ArtifactRef;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/** The workspace files come from the org and the soul, are rewritten only when they change and hold no secret. */
class WorkspaceTest {
    static final Org KOMODO = OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml"));

    @Test
    void materializesEveryFileFromTheOrgAndTheSoul(@TempDir Path dir) throws Exception {
        Workspace ws = Workspace.at(dir);
        AgentSoul athena = AgentSoul.of(KOMODO, "cto-athena", Optional.empty());
        assertThat(ws.materialize(athena, RuntimeOptions.defaults().loopLimits())).containsExactly("SOUL.md",
                "IDENTITY.md",
                "AGENTS.md", "ORG.md", "COMPANY.md", "HEARTBEAT.md");
        assertThat(dir.resolve("artifacts")).isDirectory();

        assertThat(ws.read("SOUL.md"))
                .contains("You are **Athena**, Chief Technology Officer (`role-cto`) of Komodo AI")
                .contains("You report to Genesis (ceo-genesis)").contains("**Specialization:** platform engineering")
                .contains("Evaluate technical proposals and migrations");
        assertThat(ws.read("IDENTITY.md")).contains("`komodo-ai.dm.cto-athena`").contains("`komodo-ai.exec`")
                .contains("`komodo-ai.tasks.role-cto`").contains("`komodo-ai.events.security.>`")
                .contains("`GITHUB_TOKEN`").contains("never in this workspace");
        assertThat(ws.read("ORG.md")).contains("└── board — The Board (human)")
                .contains("Your chain of command: cto-athena → ceo-genesis → board")
                .contains("Your direct reports: backend-hephaestus (Hephaestus), devops-hermes (Hermes),"
                        + " security-argus (Argus)")
                .contains("| `backend-hephaestus` | Hephaestus | `role-backend` | `eng` | `cto-athena` |"
                        + " `komodo-ai.dm.backend-hephaestus` |")
                .contains("| `board` | The Board | human |");
        assertThat(ws.read("COMPANY.md")).contains("### Executive (`exec`)")
                .contains("Sets direction, approves plans, owns outcomes.");
        assertThat(ws.read("HEARTBEAT.md")).contains("every 10m").contains("06:00-22:00")
                .contains("America/New_York").contains("escalate to your manager, Genesis (ceo-genesis), on"
                        + " `komodo-ai.dm.ceo-genesis`");
        assertThat(ws.read("AGENTS.md")).contains("more than 10 hand-offs").contains("3 times (`chain`)")
                .contains("more than 20 direct messages a minute").contains("obj://OM_KOMODO_AI_ARTIFACTS/cto-athena/");
    }

    @Test
    void materializingAgainWritesNothingUnlessSomethingChanged(@TempDir Path dir) throws Exception {
        Workspace ws = Workspace.at(dir);
        AgentSoul genesis = AgentSoul.of(KOMODO, "ceo-genesis", Optional.empty());
        ws.materialize(genesis, RuntimeOptions.defaults().loopLimits());
        FileTime old = FileTime.fromMillis(0);
        Files.setLastModifiedTime(dir.resolve("SOUL.md"), old);
        assertThat(ws.materialize(genesis, RuntimeOptions.defaults().loopLimits())).isEmpty();
        assertThat(Files.getLastModifiedTime(dir.resolve("SOUL.md"))).isEqualTo(old);

        Files.writeString(dir.resolve("ORG.md"), "edited by hand");
        assertThat(ws.materialize(genesis, RuntimeOptions.defaults().withMaxHops(7).loopLimits())).containsExactly(
                "AGENTS.md",
                "ORG.md");
        assertThat(ws.read("AGENTS.md")).contains("more than 7 hand-offs");
    }

    @Test
    void heartbeatChecklistItemsSurviveMaterializingAgain(@TempDir Path dir) throws Exception {
        Workspace ws = Workspace.at(dir);
        AgentSoul genesis = AgentSoul.of(KOMODO, "ceo-genesis", Optional.empty());
        ws.materialize(genesis, RuntimeOptions.defaults().loopLimits());
        Path hb = dir.resolve("HEARTBEAT.md");
        assertThat(java.nio.file.Files.readString(hb)).contains("## Checklist").contains("costs no tokens");
        java.nio.file.Files.writeString(hb, "- [ ] review the Q3 plan (due 2026-12-01 09:00)\n",
                java.nio.file.StandardOpenOption.APPEND);
        ws.materialize(genesis, RuntimeOptions.defaults().loopLimits());
        assertThat(java.nio.file.Files.readString(hb)).as("a restart keeps what people and brains added")
                .contains("- [ ] review the Q3 plan (due 2026-12-01 09:00)");
    }

    @Test
    void theSoulOverridesResponsibilitiesAndNeverWritesCredentials(@TempDir Path dir) throws Exception {
        Org org = OrgLoader.parse("""
                company: acme
                teams: { ops: {} }
                humans: [ { id: owner } ]
                agents:
                  - id: ops-1
                    role: role-janitor
                    team: ops
                    reports_to: owner
                    soul:
                      responsibilities: [ "Keep the queues empty.", "Page the owner when the disk fills." ]
                      motto: "clean as you go"
                      api_key: sk-live-123
                      db_password: hunter2
                """, "test");
        Workspace ws = Workspace.at(dir);
        ws.materialize(AgentSoul.of(org, "ops-1", Optional.empty()), RuntimeOptions.defaults().loopLimits());
        String soul = ws.read("SOUL.md");
        assertThat(soul).contains("Janitor (`role-janitor`)").contains("- Keep the queues empty.")
                .contains("- Page the owner when the disk fills.").contains("**motto:** clean as you go")
                .contains("look like credentials: api_key, db_password")
                .doesNotContain("Do the work assigned to you");
        try (var files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(p)).as(p.toString()).doesNotContain("sk-live-123")
                        .doesNotContain("hunter2");
            }
        }
    }

    @Test
    void artifactReferencesMapInsideTheWorkspace(@TempDir Path dir) {
        Workspace ws = Workspace.at(dir);
        assertThat(ws.fileFor(ArtifactRef.parse("r2://komodo-ai/tasks/brief.md").orElseThrow()))
                .isEqualTo(dir.resolve("artifacts/r2/komodo-ai/tasks/brief.md"));
        assertThat(ws.fileFor(ArtifactRef.parse("obj://OM_X_ARTIFACTS/a/b.txt").orElseThrow()))
                .isEqualTo(dir.resolve("artifacts/obj/OM_X_ARTIFACTS/a/b.txt"));
        assertThat(ArtifactRef.parse("reports/out.md")).isEmpty();
        assertThatThrownBy(() -> ArtifactRef.parse("r2://komodo-ai/../../etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'..'");
        assertThatThrownBy(() -> ArtifactRef.parse("ftp://x/y")).hasMessageContaining("unknown artifact scheme");
        assertThatThrownBy(() -> ArtifactRef.parse("obj://bucket-only/")).hasMessageContaining("has no name");
        assertThatThrownBy(() -> ws.inside("../outside")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ws.inside("/etc/passwd")).isInstanceOf(IllegalArgumentException.class);
    }
}
