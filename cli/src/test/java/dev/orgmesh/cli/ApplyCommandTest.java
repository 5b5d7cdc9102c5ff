package dev.orgmesh.cli;

import static dev.orgmesh.cli.OrgmeshCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.Nats;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

@NatsTest
class ApplyCommandTest {

    @Test
    void applyPrintsThePlanThenNoChangesTheSecondTime(NatsServer server) {
        Run first = run("apply", OrgmeshCommandTest.EXAMPLE, "--server", server.clientUrl());
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.out()).contains("+ stream OM_KOMODO_AI_INBOX")
                .contains("+ consumer OM_KOMODO_AI_INBOX/dm-cto-athena")
                .contains("applied").contains("org stored");

        Run second = run("apply", OrgmeshCommandTest.EXAMPLE, "--server", server.clientUrl());
        assertThat(second.status()).isZero();
        assertThat(second.out()).isEqualTo("no changes: the server matches the org\n");
    }

    @Test
    void dryRunChangesNothing(NatsServer server) throws Exception {
        Path org = Path.of(OrgmeshCommandTest.EXAMPLE);
        String other = Files.readString(org).replace("company: komodo-ai", "company: dry-co");
        Path file = Files.createTempFile("dry", ".yaml");
        Files.writeString(file, other);
        Run r = run("apply", file.toString(), "--server", server.clientUrl(), "--dry-run");
        assertThat(r.out()).contains("+ stream OM_DRY_CO_INBOX").contains("dry run: nothing changed");
        try (Connection c = Nats.connect(server.clientUrl())) {
            assertThat(c.jetStreamManagement().getStreamNames()).noneMatch(n -> n.startsWith("OM_DRY_CO_"));
        }
    }

    @Test
    void badOrgAppliesNothing(NatsServer server, @TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad,
                "company: bad-co\nteams: { dm: {} }\nhumans: [ { id: b } ]\nagents: [ { id: a, role: r, team: dm, reports_to: nobody } ]\n");
        Run r = run("apply", bad.toString(), "--server", server.clientUrl());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("teams.dm").contains("unknown member 'nobody'").contains("nothing applied");
        try (Connection c = Nats.connect(server.clientUrl())) {
            assertThat(c.jetStreamManagement().getStreamNames()).noneMatch(n -> n.startsWith("OM_BAD_CO_"));
        }
    }

    @Test
    void unreachableServerIsOneClearLine() {
        Run r = run("apply", OrgmeshCommandTest.EXAMPLE, "--server",
                "nats://127.0.0.1:" + dev.orgmesh.testkit.FreePorts.next());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("orgmesh: cannot reach NATS at nats://127.0.0.1:").contains("[OM-2000]");
    }
}
