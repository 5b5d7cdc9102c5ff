package dev.orgmesh.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.artifact.ArtifactRef;
import dev.orgmesh.agent.artifact.ObjectStoreArtifacts;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The seed's walkthrough on the real {@code examples/komodo-ai.yaml} org with the scripted brains of
 * {@code examples/*.rules.yaml}, each agent on its own leaf: Genesis's task, published verbatim to
 * {@code komodo-ai.exec} as {@code nats pub} would, reaches Athena, who reads the brief from the artifact store and
 * reports to {@code komodo-ai.dm.ceo-genesis}; Genesis approves, announces it on the exec channel and assigns the
 * implementation to Hephaestus by DM, where he receives it together with Athena's report artifacts.
 *
 * <p>The runtimes' clock is set to the seed's day (2026-04-05): the task's deadline, 2026-04-07, has passed in real
 * time, and a runtime works a task past its deadline only flagged late (or escalates it, per the org's late_tasks).
 */
@NatsTest
@Leaves(3)
class WalkthroughTest {
    static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();
    static final Instant SEED_DAY = Instant.parse("2026-04-05T13:00:00Z");

    record Handled(String agent, Envelope in, String source, Outcome outcome) {
    }

    @Test
    void theSeedsTaskLeadsToAReportAnApprovalAndADelegation(HubTopology topology, @TempDir Path workspaces)
            throws Exception {
        Org org = OrgLoader.load(EXAMPLES.resolve("komodo-ai.yaml"));
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.File)) {
            List<Message> said = new CopyOnWriteArrayList<>();
            Dispatcher everything = f.hubClient.createDispatcher(said::add);
            everything.subscribe("komodo-ai.>");
            f.hubClient.flush(Duration.ofSeconds(5));

            // the brief where the seed's artifact_path points: no S3 is configured, so r2:// is the object store
            String brief = "# Node 22 migration brief\nUpgrade before Node 18 EOL in April 2026.\n";
            Path briefFile = Files.writeString(workspaces.resolve("brief.md"), brief);
            new ObjectStoreArtifacts(f.hubClient, io.nats.client.JetStreamOptions.builder().build(),
                    f.subjects.artifactBucket())
                    .publish(ArtifactRef.parse("r2://komodo-ai/tasks/node22-migration-brief.md").orElseThrow(),
                            briefFile);

            List<Handled> handled = new CopyOnWriteArrayList<>();
            RuntimeOptions options = Fixture.options()
                    .withClock(Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(), SEED_DAY)));
            Fixture.Running genesis = f.agent(topology.leaf(0), "ceo-genesis", EXAMPLES, workspaces,
                    recorder("ceo-genesis", handled), options);
            Fixture.Running athena = f.agent(topology.leaf(1), "cto-athena", EXAMPLES, workspaces,
                    recorder("cto-athena", handled), options);
            Fixture.Running hephaestus = f.agent(topology.leaf(2), "backend-hephaestus", EXAMPLES, workspaces,
                    recorder("backend-hephaestus", handled), options);
            await().atMost(Duration.ofSeconds(15)).until(() -> genesis.runtime().isReady()
                    && athena.runtime().isReady() && hephaestus.runtime().isReady());

            byte[] seed = getClass().getResourceAsStream("/seed/ceo-task.json").readAllBytes();
            // as `nats pub --jetstream komodo-ai.exec` on Genesis' leaf would: the body verbatim (no id, no headers),
            // carried as komodo-ai.exec.ceo-genesis (her leaf adds the sender, ADR 0010; RenderedHubTest shows the
            // mapping), stored before we look for it
            assertThat(f.js.publish("komodo-ai.exec.ceo-genesis", seed).getStream())
                    .isEqualTo(f.subjects.channelsStream());

            // Athena receives the task on her team channel and reads the brief from the artifact store
            Handled task;
            try {
                task = await().atMost(Duration.ofSeconds(60)).until(
                        () -> first(handled, h -> h.agent().equals("cto-athena") && "task".equals(h.in().type())),
                        java.util.Objects::nonNull);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                Path dump = Path.of("target", "walkthrough-threads-" + System.currentTimeMillis() + ".txt");
                java.lang.management.ManagementFactory.getPlatformMXBean(
                        com.sun.management.HotSpotDiagnosticMXBean.class).dumpThreads(dump.toAbsolutePath().toString(),
                                com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
                StringBuilder state = new StringBuilder();
                state.append(f.jsm.getStreamInfo(f.subjects.channelsStream()).getStreamState()).append('\n');
                for (String c : List.of("team-cto-athena", "team-ceo-genesis")) {
                    var ci = f.jsm.getConsumerInfo(f.subjects.channelsStream(), c);
                    state.append(c).append(": delivered ").append(ci.getDelivered()).append(", ack floor ")
                            .append(ci.getAckFloor()).append(", pending ").append(ci.getNumPending())
                            .append(", ack pending ").append(ci.getNumAckPending()).append(", waiting ")
                            .append(ci.getNumWaiting()).append(", redelivered ").append(ci.getRedelivered())
                            .append('\n');
                }
                throw new AssertionError("Athena did not handle the task; threads (virtual ones included) in "
                        + dump.toAbsolutePath() + "; messages seen: " + said.stream().map(Message::getSubject)
                                .toList()
                        + "\n" + state, e);
            }
            assertThat(task.source()).isEqualTo("team");
            assertThat(task.in().from()).isEqualTo("ceo-genesis");
            assertThat(task.in().subject()).isEqualTo("Evaluate Node.js 18 → 22 migration");
            String taskId = task.in().id();
            assertThat(taskId).as("an id from its stream position: nats pub sent none").startsWith("s-");
            assertThat(Files.readString(workspaces.resolve(
                    "cto-athena/artifacts/r2/komodo-ai/tasks/node22-migration-brief.md"))).isEqualTo(brief);

            // her report goes to Genesis's DM, answering the task
            Envelope report = await().atMost(Duration.ofSeconds(15)).until(
                    () -> on(said, "komodo-ai.dm.ceo-genesis", "report"), java.util.Objects::nonNull);
            assertThat(report.from()).isEqualTo("cto-athena");
            assertThat(report.re()).isEqualTo(taskId);
            assertThat(report.thread()).isEqualTo(taskId);
            assertThat(report.status()).isEqualTo("complete");
            assertThat(report.recommendation()).isEqualTo("proceed");
            assertThat(report.breakingChanges()).hasSize(3)
                    .contains("crypto.createCipher → crypto.createCipheriv (auth/encrypt.ts:34)");
            assertThat(report.artifacts()).containsExactly("r2://komodo-ai/reports/node22-migration-2026-04-05.md",
                    "r2://komodo-ai/reports/node22-test-results.txt");
            assertThat(report.hops()).isEqualTo(1);
            assertThat(report.chain()).containsExactly("ceo-genesis");

            // Genesis approves: the follow-up on the exec channel (as in the seed) and the assignment by DM
            Envelope decision = await().atMost(Duration.ofSeconds(15)).until(
                    () -> on(said, "komodo-ai.exec", "decision"), java.util.Objects::nonNull);
            assertThat(decision.from()).isEqualTo("ceo-genesis");
            assertThat(decision.re()).isEqualTo(report.id());
            assertThat(decision.thread()).isEqualTo(taskId);
            assertThat(decision.extra().get("assignee").asText()).isEqualTo("backend-hephaestus");
            Envelope assignment = await().atMost(Duration.ofSeconds(15)).until(
                    () -> on(said, "komodo-ai.dm.backend-hephaestus", "task"), java.util.Objects::nonNull);
            assertThat(assignment.from()).isEqualTo("ceo-genesis");
            assertThat(assignment.re()).isEqualTo(report.id());
            assertThat(assignment.thread()).isEqualTo(taskId);
            assertThat(assignment.context()).contains("Migration is safe");
            assertThat(assignment.breakingChanges()).isEqualTo(report.breakingChanges());
            assertThat(Instant.parse(assignment.deadline())).as("{{now+2d}} on the runtime's clock")
                    .isBetween(SEED_DAY.plus(Duration.ofDays(2)), SEED_DAY.plus(Duration.ofDays(2)).plusSeconds(60));

            // Hephaestus receives it, with Athena's report artifact read through its path
            Handled received = await().atMost(Duration.ofSeconds(15)).until(
                    () -> first(handled, h -> h.agent().equals("backend-hephaestus")
                            && assignment.id().equals(h.in().id())),
                    java.util.Objects::nonNull);
            assertThat(received.source()).isEqualTo("dm");
            Path written = workspaces
                    .resolve("cto-athena/artifacts/r2/komodo-ai/reports/node22-migration-2026-04-05.md");
            Path read = workspaces
                    .resolve("backend-hephaestus/artifacts/r2/komodo-ai/reports/node22-migration-2026-04-05.md");
            assertThat(read).exists();
            assertThat(Files.readString(read)).isEqualTo(Files.readString(written))
                    .contains("Recommendation: proceed").contains("due 2026-04-07");

            // he accepts; his report answers the assignment, so Genesis's deadline for it is settled
            Envelope accepted = await().atMost(Duration.ofSeconds(15)).until(
                    () -> first(said, "komodo-ai.dm.ceo-genesis", e -> "backend-hephaestus".equals(e.from())),
                    java.util.Objects::nonNull);
            assertThat(accepted.re()).isEqualTo(assignment.id());
            await().atMost(Duration.ofSeconds(10)).until(() -> genesis.runtime().openDeadlines() == 0);

            // Genesis acted on Athena's report only, never on her own broadcasts; nobody escalated
            assertThat(handled).filteredOn(h -> h.agent().equals("ceo-genesis"))
                    .allSatisfy(h -> assertThat(h.in().from()).isNotEqualTo("ceo-genesis"));
            assertThat(handled).filteredOn(h -> h.agent().equals("ceo-genesis")).extracting(h -> h.in().id())
                    .contains(report.id());
            assertThat(said).extracting(m -> EnvelopeCodec.decode(m.getData()).type()).doesNotContain("escalation");
            assertThat(workspaces.resolve("cto-athena/ORG.md")).content(StandardCharsets.UTF_8)
                    .contains("komodo-ai.dm.ceo-genesis");
        }
    }

    private static RuntimeListener recorder(String agent, List<Handled> into) {
        return new RuntimeListener() {
            @Override
            public void onHandled(Envelope in, String source, Outcome outcome) {
                into.add(new Handled(agent, in, source, outcome));
            }
        };
    }

    private static Handled first(List<Handled> handled, java.util.function.Predicate<Handled> p) {
        return handled.stream().filter(p).findFirst().orElse(null);
    }

    private static Envelope on(List<Message> said, String subject, String type) {
        return first(said, subject, e -> type.equals(e.type()));
    }

    /** The first envelope said on contract subject {@code subject} (whoever said it) that matches {@code p}. */
    private static Envelope first(List<Message> said, String subject, java.util.function.Predicate<Envelope> p) {
        Subjects s = Subjects.of("komodo-ai");
        return said.stream().filter(m -> s.attribution(m.getSubject()).map(Subjects.Attribution::contract)
                .orElse(m.getSubject()).equals(subject)).map(m -> EnvelopeCodec.decode(m.getData()))
                .filter(p).findFirst().orElse(null);
    }

}
