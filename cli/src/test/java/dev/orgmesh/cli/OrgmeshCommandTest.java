package dev.orgmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class OrgmeshCommandTest {
    static final String EXAMPLE = Path.of("..", "examples", "komodo-ai.yaml").toString();

    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = OrgmeshCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    /** Issue 24's papercut: every verb's --help prints its usage and exits 0, required parameters or not. */
    @Test
    void everyVerbsHelpPrintsItsUsageAndExitsZero() {
        for (String[] verb : new String[][]{{"send"}, {"tail"}, {"validate"}, {"apply"}, {"audit"}, {"dlq"},
                {"approve"},
                {"budget"}, {"deploy", "fly"}, {"secrets", "put"}, {"up"}}) {
            String[] args = Arrays.copyOf(verb, verb.length + 1);
            args[verb.length] = "--help";
            Run r = run(args);
            assertThat(r.status()).as(String.join(" ", args) + ": " + r.err()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: orgmesh " + String.join(" ", verb));
            assertThat(r.err()).as(String.join(" ", args)).doesNotContain("Missing required");
        }
    }

    @Test
    void validateExampleExitsZeroWithOneLine() {
        Run r = run("validate", EXAMPLE);
        assertThat(r.status()).isZero();
        assertThat(r.out().lines()).singleElement().asString()
                .contains("valid").contains("komodo-ai").contains("5 agents").contains("1 humans");
    }

    @Test
    void validateBrokenListsEveryProblemAndFails(@TempDir Path dir) throws IOException {
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, """
                company: acme
                teams: { dm: {} }
                humans: [ { id: boss } ]
                agents:
                  - { id: a.1, role: r, team: dm, reports_to: bos }
                """);
        Run r = run("validate", broken.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("teams.dm: team id 'dm' is a reserved subject word")
                .contains("agents[0].id: 'a.1' is not a safe NATS token")
                .contains("agents[0].reports_to: unknown member 'bos'").contains("did you mean 'boss'?");
    }

    @Test
    void missingFileIsOneClearLine() {
        Run r = run("validate", "/nonexistent/org.yaml");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("orgmesh: org file not found: /nonexistent/org.yaml")
                .doesNotContain("Exception");
    }

    @Test
    void chartPrintsTheTree() {
        Run r = run("chart", EXAMPLE);
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("└── board — The Board (human)").contains("cto-athena — Athena (role-cto, exec)");
        Run m = run("chart", "--format", "mermaid", EXAMPLE);
        assertThat(m.out()).startsWith("flowchart TD");
    }

    @Test
    void unknownVerbIsAUsageError() {
        assertThat(run("frobnicate").status()).isEqualTo(2);
    }
}
