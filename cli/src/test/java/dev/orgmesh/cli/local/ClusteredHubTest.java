package dev.orgmesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.cli.OrgmeshCommand;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.ops.OrgStatus;
import dev.orgmesh.messaging.ops.StreamReader;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.HubLayout;

import picocli.CommandLine;

/**
 * {@code orgmesh up --hub-nodes 3} (issue 28, item 3): the example org on a three-node JetStream hub rendered with the
 * same accounts, users and permissions as one hub, streams at replicas 3. The node leading the audit stream is killed
 * with SIGKILL in the middle of a run of numbered tasks from the board to three agents in turn; every task is stored
 * once and answered once by its agent's runtime (delivered N, duplicated 0, lost 0), and the org goes on. Three
 * agents, 15 tasks each: a runtime handles at most 20 direct messages a minute from one sender (its ping-pong guard).
 */
class ClusteredHubTest {
    static final Path EXAMPLE = LocalOrgTest.EXAMPLE;
    static final int BEFORE = 15;
    static final int AFTER = 30;

    /** Who gets the tasks, in turn; each answers a task from the board with a report. */
    static final List<String> AGENTS = List.of("cto-athena", "backend-hephaestus", "security-argus");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the org's logs stay for a failed run
    Path tmp;

    final List<String> progress = new CopyOnWriteArrayList<>();

    @Test
    void threeHubNodesLoseNothingWhenOneIsKilledAndTheOrgGoesOn() throws Exception {
        Org org = OrgLoader.load(EXAMPLE);
        // `orgmesh status` finds the org's state under <orgmesh.home>/.orgmesh
        Path stateRoot = tmp.resolve(".orgmesh");
        LocalOrg local = new LocalOrg(LocalOrgTest.HOME, stateRoot, System.getenv(), progress::add);
        int base = freeBase(org, 3);
        LocalOrg.Started s = local.up(EXAMPLE, base, 3);
        List<LocalProcesses.Entry> started = new LocalProcesses(s.stateDir()).read();
        String home = System.getProperty("orgmesh.home");
        System.setProperty("orgmesh.home", tmp.toString());
        List<String> stopped;
        try {
            assertThat(started).as("3 hub nodes, 5 leaves, 4 services, 5 agents").hasSize(3 + 5 + 4 + 5);
            assertThat(started).filteredOn(LocalProcesses::isHub).extracting(LocalProcesses.Entry::name)
                    .containsExactly("hub-1", "hub-2", "hub-3");
            assertThat(progress).contains("the hub's 3 nodes formed a JetStream cluster", "5 of 5 agents present");
            assertThat(s.operatorUrl().split(",")).as("clients get every node").hasSize(3);
            // the same accounts, users and permissions on every node: only names, ports, store and routes differ
            Path render = s.stateDir().resolve("render");
            String one = usersOf(Files.readString(HubLayout.hubConf(render, "hub-1")));
            for (String node : List.of("hub-2", "hub-3")) {
                assertThat(usersOf(Files.readString(HubLayout.hubConf(render, node)))).isEqualTo(one);
            }
            assertThat(one).contains("nkey:", "permissions", "allowed_connection_types");
            assertThat(Files.readString(HubLayout.leafConf(render, "cto-athena")))
                    .as("a leaf lists every node's leafnode port, so it dials another when its node goes")
                    .contains("urls: [").contains(":" + (base + 1)).contains(":" + (base + 31))
                    .contains(":" + (base + 32));

            NatsSettings operator = NatsSettings.of(s.operatorUrl()).withCreds(s.operatorCreds());
            try (Connection c = NatsConnector.connect(operator)) {
                JetStreamManagement jsm = c.jetStreamManagement();
                String audit = org.subjects().auditStream();
                StreamInfo info = jsm.getStreamInfo(audit);
                assertThat(info.getConfiguration().getReplicas()).as("streams at R3").isEqualTo(3);
                assertThat(jsm.getStreamInfo(org.subjects().inboxStream()).getConfiguration().getReplicas())
                        .isEqualTo(3);

                JetStream js = c.jetStream();
                Map<String, String> ids = new LinkedHashMap<>(); // task id → the agent it went to
                int retried = 0;
                String killed = null;
                for (int i = 1; i <= BEFORE + AFTER; i++) {
                    if (i == BEFORE + 1) {
                        killed = jsm.getStreamInfo(audit).getClusterInfo().getLeader();
                        LocalProcesses.Entry leader = entry(started, killed);
                        ProcessHandle.of(leader.pid()).orElseThrow().destroyForcibly(); // SIGKILL
                        progress.add("killed " + killed + " (leader of " + audit + ")");
                    }
                    String to = AGENTS.get(i % AGENTS.size());
                    Envelope task = Envelope.builder().from("board").to(to).type("task")
                            .subject("Cluster check " + i).build().withIdIfAbsent();
                    ids.put(task.id(), to);
                    retried += publishUntilStored(js, org.subjects().dm(to, "board"), task);
                }
                String killedNode = killed;
                progress.add("published " + ids.size() + " tasks, " + retried + " publishes repeated");
                assertThat(ProcessHandle.of(entry(started, killedNode).pid()).filter(ProcessHandle::isAlive))
                        .as("%s is gone", killedNode).isEmpty();

                // sequence accounting over the audit stream: each task stored once, answered once by its agent
                await("every task stored and answered once").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
                            Counts counts = count(jsm, audit, ids);
                            assertThat(counts.lost()).as("lost tasks").isZero();
                            assertThat(counts.unanswered()).as("tasks not answered").isZero();
                        });
                Counts counts = count(jsm, audit, ids);
                progress.add("delivered " + counts.delivered() + ", duplicated " + counts.duplicated() + ", lost "
                        + counts.lost() + ", answered " + counts.answered() + ", answered twice "
                        + counts.answeredTwice());
                // what the run did, for the record (docs/reliability.md quotes it)
                Files.write(Path.of("target", "clustered-hub-test.txt"), progress);
                assertThat(counts.delivered()).isEqualTo(BEFORE + AFTER);
                assertThat(counts.duplicated()).as("tasks stored twice").isZero();
                assertThat(counts.lost()).isZero();
                assertThat(counts.answered()).isEqualTo(BEFORE + AFTER);
                assertThat(counts.answeredTwice()).as("tasks answered twice").isZero();
                // a DM is worked from its core copy and settled from the inbox's, which the inbox sources from the
                // audit stream (ADR 0006, 0007): sourcing resumes from the new audit leader a moment later
                await("the inboxes drained").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                    for (String agent : AGENTS) {
                        var ci = jsm.getConsumerInfo(org.subjects().inboxStream(), "dm-" + agent);
                        assertThat(ci.getNumPending() + ci.getNumAckPending()).as("%s's inbox drained", agent)
                                .isZero();
                    }
                });
                assertThat(count(jsm, audit, ids)).as("and still nothing twice").isEqualTo(counts);
                assertThat(jsm.getStreamInfo(audit).getClusterInfo().getLeader()).as("a new leader")
                        .isNotEqualTo(killedNode);

                // the org goes on: every agent present again through the two nodes left
                await("every agent present after the kill").atMost(Duration.ofSeconds(40)).ignoreExceptions()
                        .untilAsserted(
                                () -> assertThat(OrgStatus.read(c, operator, org, Instant.now()))
                                        .filteredOn(r -> r.member() instanceof Agent)
                                        .allMatch(r -> r.presence() == Liveness.UP));
                StringWriter out = new StringWriter();
                CommandLine status = OrgmeshCommand.commandLine();
                status.setOut(new PrintWriter(out, true));
                status.setErr(new PrintWriter(out, true));
                assertThat(status.execute("status", EXAMPLE.toString())).as(out.toString()).isZero();
                assertThat(out.toString()).contains("5 of 5 agents present", "hub: 3 nodes")
                        .containsPattern(killedNode + "\\s+nats://127\\.0\\.0\\.1:\\d+\\s+not running");
                assertThat(out.toString().split("running \\(pid", -1)).as("two nodes still run").hasSize(3);
            }
        } finally {
            if (home == null) {
                System.clearProperty("orgmesh.home");
            } else {
                System.setProperty("orgmesh.home", home);
            }
            stopped = local.down(EXAMPLE);
        }
        assertThat(stopped).as("down stops every node still running and the rest").hasSize(started.size() - 1);
        for (LocalProcesses.Entry e : started) {
            assertThat(ProcessHandle.of(e.pid()).filter(ProcessHandle::isAlive)).as("%s stopped", e.name()).isEmpty();
        }
    }

    @Test
    void twoHubNodesAreRefused() throws Exception {
        LocalOrg local = new LocalOrg(LocalOrgTest.HOME, tmp, System.getenv(), progress::add);
        assertThatThrownBy(() -> local.up(EXAMPLE, 30_000, 2)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CLI_USAGE))
                .hasMessageContaining("JetStream replicas 3 needs 3 nodes");
        assertThat(tmp.resolve("komodo-ai")).doesNotExist();

        StringWriter err = new StringWriter();
        CommandLine render = OrgmeshCommand.commandLine();
        render.setOut(new PrintWriter(new StringWriter(), true));
        render.setErr(new PrintWriter(err, true));
        assertThat(render.execute("render", EXAMPLE.toString(), "--out", tmp.resolve("two").toString(),
                "--hub-nodes", "2")).isNotZero();
        assertThat(err.toString()).contains("--hub-nodes 2").contains("JetStream replicas 3 needs 3 nodes");
        assertThat(tmp.resolve("two")).doesNotExist();
    }

    @Test
    void renderTakesHubNodesAndStillTakesCluster() {
        for (String flag : List.of("--hub-nodes", "--cluster")) {
            Path out = tmp.resolve(flag.substring(2));
            CommandLine render = OrgmeshCommand.commandLine();
            StringWriter text = new StringWriter();
            render.setOut(new PrintWriter(text, true));
            assertThat(render.execute("render", EXAMPLE.toString(), "--out", out.toString(), flag, "3")).isZero();
            assertThat(HubLayout.hubConf(out, "hub-1")).exists();
            assertThat(HubLayout.hubConf(out, "hub-3")).exists();
            assertThat(HubLayout.hubConf(out)).doesNotExist();
        }
        Path single = tmp.resolve("single");
        assertThat(OrgmeshCommand.commandLine().execute("render", EXAMPLE.toString(), "--out", single.toString(),
                "--hub-nodes", "1")).isZero();
        assertThat(HubLayout.hubConf(single)).exists();
    }

    /** The accounts block of a hub config: what every node must share. */
    static String usersOf(String conf) {
        return conf.substring(conf.indexOf("system_account"));
    }

    static LocalProcesses.Entry entry(List<LocalProcesses.Entry> started, String name) {
        return started.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * Publishes until JetStream acknowledges: while the killed node's streams elect new leaders a publish may time
     * out; it is repeated with the same {@code Nats-Msg-Id}, so the stream keeps one copy. Returns the repeats.
     */
    static int publishUntilStored(JetStream js, String subject, Envelope e) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, e.id());
        NatsMessage m = NatsMessage.builder().subject(subject).headers(h).data(EnvelopeCodec.encode(e)).build();
        PublishOptions options = PublishOptions.builder().streamTimeout(Duration.ofSeconds(2)).build();
        for (int repeats = 0;; repeats++) {
            try {
                PublishAck ack = js.publish(m, options);
                assertThat(ack.getStream()).isNotBlank();
                return repeats;
            } catch (Exception unavailable) {
                if (Instant.now().isAfter(deadline)) {
                    throw unavailable;
                }
            }
        }
    }

    record Counts(int delivered, int duplicated, int lost, int answered, int answeredTwice, int unanswered) {
    }

    static Counts count(JetStreamManagement jsm, String audit, Map<String, String> ids) throws Exception {
        Map<String, Integer> stored = new HashMap<>();
        Map<String, Integer> answers = new HashMap<>();
        for (MessageInfo mi : StreamReader.all(jsm, audit, 100_000)) {
            Envelope env;
            try {
                env = EnvelopeCodec.decode(mi.getData());
            } catch (RuntimeException notAnEnvelope) {
                continue;
            }
            boolean copy = mi.getHeaders() != null && mi.getHeaders().getFirst(HeaderNames.STREAM_SOURCE) != null;
            if (copy) {
                continue; // a copy from another stream (ADR 0007), not a second store
            }
            if (ids.containsKey(env.id())) {
                stored.merge(env.id(), 1, Integer::sum);
            }
            if (env.re() != null && env.from() != null && env.from().equals(ids.get(env.re()))) {
                answers.merge(env.re(), 1, Integer::sum);
            }
        }
        int delivered = 0;
        int duplicated = 0;
        int answered = 0;
        int answeredTwice = 0;
        for (String id : ids.keySet()) {
            int n = stored.getOrDefault(id, 0);
            delivered += n > 0 ? 1 : 0;
            duplicated += Math.max(0, n - 1);
            int a = answers.getOrDefault(id, 0);
            answered += a > 0 ? 1 : 0;
            answeredTwice += Math.max(0, a - 1);
        }
        return new Counts(delivered, duplicated, ids.size() - delivered, answered, answeredTwice,
                ids.size() - answered);
    }

    static int freeBase(Org org, int hubNodes) {
        for (int i = 0; i < 20; i++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(200) * 100;
            try {
                LocalPorts.of(org, base, hubNodes).checkFree();
                return base;
            } catch (OrgmeshException taken) {
                // try another range
            }
        }
        throw new IllegalStateException("no free port range");
    }
}
