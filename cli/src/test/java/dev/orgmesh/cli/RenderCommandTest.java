package dev.orgmesh.cli;

import static dev.orgmesh.cli.OrgmeshCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;

class RenderCommandTest {
    @Test
    void rendersHubAndLeavesWithoutPrintingSecrets(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Run r = run("render", OrgmeshCommandTest.EXAMPLE, "--out", out.toString(), "--leaf-port-base", "15001");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(out.resolve("hub.conf")).exists();
        Path seed = out.resolve("agents/cto-athena/user.nk");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(seed))).isEqualTo("rw-------");
        String seedText = Files.readString(seed).trim();
        assertThat(r.out()).doesNotContain(seedText).contains("agent cto-athena").contains("127.0.0.1:15002");
        String leaf = Files.readString(out.resolve("agents/cto-athena/leaf.conf"));
        assertThat(leaf).contains("komodo-ai-nats-hub.internal:7422");
    }

    @Test
    void badOrgRendersNothing(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "company: x\nagents: [ { id: A.B } ]\n");
        Path out = dir.resolve("out");
        Run r = run("render", bad.toString(), "--out", out.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("agents[0].id").contains("nothing rendered");
        assertThat(out).doesNotExist();
    }
}
