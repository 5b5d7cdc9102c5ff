package dev.orgmesh.cli;

import static dev.orgmesh.cli.OrgmeshCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

import picocli.CommandLine;

@NatsTest
class SendTailCommandTest {
    static final String SEED_TASK = Path.of("..", "protocol", "src", "test", "resources", "seed", "ceo-task.json")
            .toString();

    @Test
    void tailShowsWhatSendStores(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();

        StringWriter tailOut = new StringWriter();
        AtomicInteger tailStatus = new AtomicInteger(-1);
        Thread tail = Thread.ofVirtual().start(() -> {
            CommandLine cl = OrgmeshCommand.commandLine();
            cl.setOut(new PrintWriter(tailOut, true));
            cl.setErr(new PrintWriter(new StringWriter(), true));
            tailStatus.set(cl.execute("tail", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--count", "2",
                    "--for", "20s"));
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> tailOut.toString().contains("watching komodo-ai.>"));

        Run sent = run("send", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--file", SEED_TASK);
        assertThat(sent.status()).as(sent.err()).isZero();
        assertThat(sent.out()).startsWith("sent ").contains("to komodo-ai.exec")
                .contains("stream OM_KOMODO_AI_CHANNELS");

        Run dm = run("send", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--from", "board", "--to",
                "cto-athena",
                "--type", "question", "--subject", "How is the migration going?");
        assertThat(dm.out()).contains("to komodo-ai.dm.cto-athena").contains("OM_KOMODO_AI_AUDIT");

        tail.join(Duration.ofSeconds(20));
        assertThat(tailStatus.get()).isZero();
        assertThat(tailOut.toString()).contains("komodo-ai.exec")
                .contains("ceo-genesis → team:exec [task] Evaluate Node.js 18 → 22 migration")
                .contains("board → cto-athena [question] How is the migration going?");
    }

    @Test
    void badRecipientsAndSendersAreNamed(NatsServer server) {
        Run unknown = run("send", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--from", "board", "--to",
                "team:sales");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).contains("team:sales").contains("no such team");
        Run noFrom = run("send", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--to", "all");
        assertThat(noFrom.status()).isEqualTo(1);
        assertThat(noFrom.err()).contains("'from' is missing");
        Run notApplied = run("send", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl(), "--from", "board", "--to",
                "all",
                "--subject", "hello");
        assertThat(notApplied.status()).as("no stream yet on this fresh server").isEqualTo(1);
        assertThat(notApplied.err()).contains("orgmesh apply");
    }
}
