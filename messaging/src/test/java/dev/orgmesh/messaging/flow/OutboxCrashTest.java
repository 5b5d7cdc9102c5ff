package dev.orgmesh.messaging.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/**
 * Nothing a sender initiated is lost when its process is killed (issue 23): a separate JVM ({@link JournaledSender})
 * stores 50 numbered messages, then accepts 150 more while the hub is stopped and is killed with SIGKILL; the hub
 * comes back, the sender starts again on the same journal, and the stream holds every number 1..200 exactly once.
 */
@NatsTest
class OutboxCrashTest {
    static final int STORED_FIRST = 50;
    static final int TOTAL = 200;
    static final Duration LINE_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path work;

    @Test
    void messagesAcceptedWhileTheHubIsDownSurviveASigkillAndArriveExactlyOnce(NatsServer hub) throws Exception {
        String stream = "CRASH";
        try (Connection c = Nats.connect(hub.clientUrl())) {
            c.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects("crash.>")
                    .storageType(StorageType.File).duplicateWindow(Duration.ofMinutes(10)).build());
        }
        Path journal = work.resolve("journal");

        Child first = Child.start(hub, journal, work.resolve("first.log"));
        try {
            first.expect("replaying 0");
            first.expect("ready");
            first.send("send 1 " + STORED_FIRST);
            first.expect("accepted " + STORED_FIRST);
            first.send("await");
            first.expect("stored " + STORED_FIRST);

            hub.stop();
            first.send("send " + (STORED_FIRST + 1) + " " + TOTAL);
            first.expect("accepted " + TOTAL);
        } finally {
            first.process.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no flush
            first.process.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(first.process.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);

        hub.restart();
        Child second = Child.start(hub, journal, work.resolve("second.log"));
        try {
            second.expect("replaying " + (TOTAL - STORED_FIRST));
            second.expect("ready");
            second.send("await");
            second.expect("stored " + (TOTAL - STORED_FIRST));
            second.send("quit");
            assertThat(second.process.waitFor(30, TimeUnit.SECONDS)).as("exits after quit").isTrue();
        } finally {
            second.process.destroyForcibly();
        }
        assertThat(OutboxJournalTest.segments(journal)).as("the journal let go of everything stored").isEmpty();

        try (Connection c = Nats.connect(hub.clientUrl())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            long count = jsm.getStreamInfo(stream).getStreamState().getMsgCount();
            BitSet seen = new BitSet(TOTAL + 1);
            int delivered = 0;
            int duplicated = 0;
            for (long seq = 1; seq <= count; seq++) {
                int n = Integer.parseInt(new String(jsm.getMessage(stream, seq).getData(), StandardCharsets.UTF_8));
                delivered++;
                if (seen.get(n)) {
                    duplicated++;
                }
                seen.set(n);
            }
            int lost = TOTAL - seen.cardinality();
            assertThat(new int[]{delivered, duplicated, lost}).as("delivered, duplicated, lost")
                    .containsExactly(TOTAL, 0, 0);
            assertThat(seen.nextClearBit(1)).as("every number 1..%d", TOTAL).isEqualTo(TOTAL + 1);
        }
    }

    /** A {@link JournaledSender} in a JVM of its own, its stdout read line by line. */
    record Child(Process process, PrintWriter in, BlockingQueue<String> lines, Path log) {
        static Child start(NatsServer hub, Path journal, Path log) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    JournaledSender.class.getName(), hub.clientUrl(), journal.toString(), "crash.numbers")
                    .redirectError(log.toFile());
            Process p = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("stdout closed: " + e.getMessage());
                }
            });
            return new Child(p, new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8), lines, log);
        }

        void send(String command) {
            in.println(command);
        }

        /** Waits for the next line and checks it is {@code expected}; the child's log explains otherwise. */
        void expect(String expected) throws Exception {
            String[] line = new String[1];
            await().atMost(LINE_WAIT).until(() -> {
                line[0] = lines.poll(100, TimeUnit.MILLISECONDS);
                return line[0] != null || !process.isAlive() && lines.isEmpty();
            });
            assertThat(line[0]).as("sender said (log: %s)", Files.exists(log) ? tail() : "none")
                    .isEqualTo(expected);
        }

        private String tail() throws IOException {
            String all = Files.readString(log);
            return all.substring(Math.max(0, all.length() - 3000));
        }
    }
}
