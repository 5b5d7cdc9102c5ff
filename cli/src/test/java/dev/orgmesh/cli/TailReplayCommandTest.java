package dev.orgmesh.cli;

import static dev.orgmesh.cli.OrgmeshCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

import picocli.CommandLine;

/**
 * {@code orgmesh tail --since / --from-seq}: the audit stream replayed (DMs, channel messages and events), filtered as
 * live, each line with its audit sequence; then live from the same stream, with nothing lost or doubled at the switch.
 */
@NatsTest
class TailReplayCommandTest {
    static final Pattern SEQ = Pattern.compile(" #(\\d+) ");
    /** A small org; every test has its own company, as the server is shared by the class. */
    static final String ORG = """
            company: %s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo-genesis, role: role-ceo, team: exec, reports_to: board }
              - { id: cto-athena, role: role-cto, team: exec, reports_to: ceo-genesis, events: [deployment] }
              - { id: backend-hephaestus, role: role-backend, team: eng, reports_to: cto-athena }
            """;

    /** An org file of a fresh company, and its subjects. */
    record Company(String file, Subjects s) {
        static Company fresh(Path dir) throws IOException {
            String name = "co" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            Path file = dir.resolve(name + ".yaml");
            Files.writeString(file, ORG.formatted(name));
            return new Company(file.toString(), Subjects.of(name));
        }

        String audit() {
            return s.auditStream();
        }

        /** Who says what, in the order the audit stream stores it. */
        List<Said> seven() {
            return List.of(
                    new Said(s.dm("cto-athena", "ceo-genesis"), "D1", "ceo-genesis", "cto-athena", null, "question"),
                    new Said(s.team("exec", "ceo-genesis"), "C1", "ceo-genesis", "team:exec", null, "status"),
                    new Said(s.event("backend-hephaestus", "deployment"), "E1", "backend-hephaestus", null, null,
                            "event"),
                    new Said(s.dm("ceo-genesis", "cto-athena"), "D2", "cto-athena", "ceo-genesis", "D1", "report"),
                    new Said(s.all("board"), "C2", "board", "all", null, "status"),
                    new Said(s.team("eng", "cto-athena"), "C3", "cto-athena", "team:eng", null, "status"),
                    new Said(s.event("cto-athena", "security.scan"), "E2", "cto-athena", null, null, "event"));
        }
    }

    record Said(String subject, String id, String from, String to, String re, String type) {
        Envelope envelope() {
            return Envelope.builder().id(id).from(from).to(to).re(re).type(type).subject("say " + id).build();
        }
    }

    @Test
    void sinceReplaysChannelsDmsAndEventsWithTheirSequence(NatsServer server, @TempDir Path dir) throws Exception {
        Company co = Company.fresh(dir);
        apply(server, co);
        publishInOrder(server, co, co.seven());

        String all = tail(server, co, "--since", "1h", "--count", "7");
        assertThat(all).contains("replaying " + co.audit() + " since").contains("from #1 to #7")
                .contains("caught up at #7; reading " + co.audit() + " live");
        String name = co.s().company();
        assertThat(lines(all)).satisfiesExactly(
                l -> assertThat(l).contains(" #1 " + name + ".dm.cto-athena.ceo-genesis")
                        .contains("ceo-genesis → cto-athena [question] say D1"),
                l -> assertThat(l).contains(" #2 " + name + ".exec.ceo-genesis")
                        .contains("ceo-genesis → team:exec [status] say C1"),
                l -> assertThat(l).contains(" #3 " + co.s().event("backend-hephaestus", "deployment"))
                        .contains("backend-hephaestus → event deployment [event] say E1"),
                l -> assertThat(l).contains(" #4 ").contains("cto-athena → ceo-genesis [report] say D2  (re D1)"),
                l -> assertThat(l).contains(" #5 ").contains("board → all [status] say C2"),
                l -> assertThat(l).contains(" #6 ").contains("cto-athena → team:eng [status] say C3"),
                l -> assertThat(l).contains(" #7 ").contains("cto-athena → event security.scan [event] say E2"));

        // the filters of the live mode, applied to the replay
        assertThat(lines(tail(server, co, "--since", "2d", "--count", "4", "--agent", "cto-athena")))
                .extracting(TailReplayCommandTest::idOf).containsExactly("D1", "D2", "C3", "E2");
        assertThat(lines(tail(server, co, "--since", "10m", "--count", "1", "--team", "exec")))
                .extracting(TailReplayCommandTest::idOf).containsExactly("C1");
        assertThat(lines(tail(server, co, "--since", "10m", "--count", "2", "--thread", "D1")))
                .extracting(TailReplayCommandTest::idOf).containsExactly("D1", "D2");
    }

    @Test
    void fromSeqResumesAtThatSequence(NatsServer server, @TempDir Path dir) throws Exception {
        Company co = Company.fresh(dir);
        apply(server, co);
        publishInOrder(server, co, co.seven());

        String out = tail(server, co, "--from-seq", "5", "--count", "3");
        assertThat(out).contains("replaying " + co.audit() + " from #5 to #7").contains("caught up at #7");
        assertThat(lines(out)).extracting(TailReplayCommandTest::seqOf).containsExactly(5L, 6L, 7L);
        assertThat(lines(out)).extracting(TailReplayCommandTest::idOf).containsExactly("C2", "C3", "E2");

        String filtered = tail(server, co, "--from-seq", "2", "--count", "2", "--agent", "ceo-genesis");
        assertThat(lines(filtered)).extracting(TailReplayCommandTest::idOf).containsExactly("C1", "D2");
    }

    /** Past the end: said so, nothing replayed, and the next message stored is shown (not skipped up to N). */
    @Test
    void aSequencePastTheEndIsSaidAndTheTailGoesLive(NatsServer server, @TempDir Path dir) throws Exception {
        Company co = Company.fresh(dir);
        apply(server, co);
        List<Said> seven = co.seven();
        publishInOrder(server, co, seven.subList(0, 2));

        StringWriter out = new StringWriter();
        Background tail = background(server, co, out, "--from-seq", "1000", "--count", "1", "--for", "30s");
        await().atMost(Duration.ofSeconds(15)).until(() -> out.toString().contains("caught up at #2"));
        assertThat(out.toString()).contains("#1000 is past the end of " + co.audit() + " (its last message is #2)")
                .contains("nothing to replay");
        publishInOrder(server, co, seven.subList(2, 3));
        tail.ended();
        assertThat(lines(out.toString())).singleElement().satisfies(l -> assertThat(seqOf(l)).isEqualTo(3L))
                .satisfies(l -> assertThat(idOf(l)).isEqualTo("E1"));
    }

    /**
     * The switch from replay to live: 30 DMs stored before the tail starts, 30 more while it replays and after; the
     * tail prints each of the 60 once, in sequence order, none missing.
     */
    @Test
    void theSwitchToLiveLosesNothingAndRepeatsNothing(NatsServer server, @TempDir Path dir) throws Exception {
        Company co = Company.fresh(dir);
        apply(server, co);
        List<Said> before = new ArrayList<>();
        List<Said> during = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            before.add(new Said(co.s().dm("cto-athena", "ceo-genesis"), "B" + i, "ceo-genesis", "cto-athena", null,
                    "status"));
            during.add(new Said(co.s().dm("ceo-genesis", "cto-athena"), "L" + i, "cto-athena", "ceo-genesis", null,
                    "status"));
        }
        publishInOrder(server, co, before);

        StringWriter out = new StringWriter();
        Background tail = background(server, co, out, "--since", "1h", "--count", "60", "--for", "60s");
        // the replay's end is fixed (#30) once it says so: these land while it replays and after, on the same consumer
        await().atMost(Duration.ofSeconds(15)).until(() -> out.toString().contains("replaying"));
        publishInOrder(server, co, during);
        tail.ended();

        List<Long> seqs = lines(out.toString()).stream().map(TailReplayCommandTest::seqOf).toList();
        assertThat(seqs).hasSize(60).doesNotHaveDuplicates().isSorted().first().isEqualTo(1L);
        assertThat(seqs.getLast()).isEqualTo(60L);
        assertThat(lines(out.toString())).extracting(TailReplayCommandTest::idOf)
                .containsAll(before.stream().map(Said::id).toList())
                .containsAll(during.stream().map(Said::id).toList());
        assertThat(out.toString()).contains("caught up at #30");
    }

    @Test
    void sinceAndFromSeqTogetherIsAUsageError(NatsServer server, @TempDir Path dir) throws Exception {
        Company co = Company.fresh(dir);
        Run r = run("tail", co.file(), "-s", server.clientUrl(), "--since", "1h", "--from-seq", "3");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--since and --from-seq both say where the replay starts; give one of them")
                .contains("OM-7000");

        Run heartbeats = run("tail", co.file(), "-s", server.clientUrl(), "--since", "1h", "--heartbeats");
        assertThat(heartbeats.status()).isEqualTo(2);
        assertThat(heartbeats.err()).contains("--heartbeats").contains("audit stream does not store");

        Run zero = run("tail", co.file(), "-s", server.clientUrl(), "--from-seq", "0");
        assertThat(zero.status()).isEqualTo(2);
        assertThat(zero.err()).contains("audit sequences start at 1");

        Run badSince = run("tail", co.file(), "-s", server.clientUrl(), "--since", "an hour");
        assertThat(badSince.status()).isEqualTo(2);
        assertThat(badSince.err()).contains("'an hour' is not a duration");

        Run notApplied = run("tail", co.file(), "-s", server.clientUrl(), "--since", "1h", "--for", "30s");
        assertThat(notApplied.status()).as("this company is not applied").isEqualTo(2);
        assertThat(notApplied.err()).contains("no audit stream " + co.audit()).contains("orgmesh apply");
    }

    static void apply(NatsServer server, Company co) {
        Run applied = run("apply", co.file(), "-s", server.clientUrl());
        assertThat(applied.status()).as(applied.err()).isZero();
    }

    /** Publishes each in turn, waiting until the audit stream holds it (copies from the channels and events too). */
    static void publishInOrder(NatsServer server, Company co, List<Said> said) throws Exception {
        try (Connection c = Nats.connect(server.clientUrl())) {
            JetStream js = c.jetStream();
            JetStreamManagement jsm = c.jetStreamManagement();
            for (Said s : said) {
                long stored = jsm.getStreamInfo(co.audit()).getStreamState().getMsgCount();
                DlqAuditCommandTest.publish(js, s.subject(), s.envelope());
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> jsm.getStreamInfo(co.audit()).getStreamState().getMsgCount() == stored + 1);
            }
        }
    }

    /** Runs a bounded tail to its end and returns what it printed. */
    static String tail(NatsServer server, Company co, String... args) {
        List<String> all = new ArrayList<>(List.of("tail", co.file(), "-s", server.clientUrl(), "--for", "30s"));
        all.addAll(List.of(args));
        Run r = run(all.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        return r.out();
    }

    /** A tail running in the background; {@code status} is its exit status once it ends, -1 before. */
    record Background(Thread thread, AtomicInteger status) {
        void ended() throws InterruptedException {
            thread.join(Duration.ofSeconds(60));
            assertThat(thread.isAlive()).as("the tail ended").isFalse();
            assertThat(status.get()).isZero();
        }
    }

    static Background background(NatsServer server, Company co, StringWriter out, String... args) {
        List<String> all = new ArrayList<>(List.of("tail", co.file(), "-s", server.clientUrl()));
        all.addAll(List.of(args));
        AtomicInteger status = new AtomicInteger(-1);
        return new Background(Thread.ofVirtual().start(() -> {
            CommandLine cl = OrgmeshCommand.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(new StringWriter(), true));
            status.set(cl.execute(all.toArray(String[]::new)));
        }), status);
    }

    /** The message lines (not the tail's own notes). */
    static List<String> lines(String out) {
        return out.lines().filter(l -> l.contains(" → ")).toList();
    }

    static long seqOf(String line) {
        Matcher m = SEQ.matcher(line);
        assertThat(m.find()).as("a sequence in %s", line).isTrue();
        return Long.parseLong(m.group(1));
    }

    static String idOf(String line) {
        Matcher m = Pattern.compile("\\] say (\\S+)").matcher(line);
        assertThat(m.find()).as("an id in %s", line).isTrue();
        return m.group(1);
    }
}
