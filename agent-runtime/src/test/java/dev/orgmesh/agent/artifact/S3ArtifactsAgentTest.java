package dev.orgmesh.agent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreOptions;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * {@code s3://} and {@code r2://} artifacts around a real agent (a command brain behind a runtime on a leaf of a real
 * hub), the stores being two real S3-compatible servers ({@link S3ProxyServer}) with their own key pairs, checking
 * each request's signature. The sender and manager ({@code cto}) is not running; its inbox is read from the hub.
 */
@NatsTest
@Leaves(1)
class S3ArtifactsAgentTest {
    static final String ORG = """
            company: %s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board }
              - { id: cto, role: role-cto, team: exec, reports_to: ceo }
              - { id: dev1, role: role-backend, team: eng, reports_to: cto,
                  brain: { kind: command, command: "sh ../work.sh", timeout: 10s } }
            """;

    /** Reads both fetched artifacts, writes a report as an s3:// artifact and answers with it. */
    static final String WORK_SH = """
            cat > /dev/null
            echo ran >> ran.log
            brief=$(cat artifacts/s3/bucket/brief.md)
            x=$(cat artifacts/r2/bucket/x)
            mkdir -p artifacts/s3/bucket/out
            printf 'report on: %s\\n' "$brief" > artifacts/s3/bucket/out/report.md
            printf '{"type":"report","status":"complete","summary":"read %s and %s","artifacts":["s3://bucket/out/report.md"]}' \\
              "$brief" "$x"
            """;

    static final String S3_ID = "AKIDS3TEST";
    static final String S3_SECRET = "s3-secret/test+key";
    static final String R2_ID = "r2-test-access-key";
    static final String R2_SECRET = "r2-secret-test-key";

    static S3ProxyServer s3;
    static S3ProxyServer r2;
    @TempDir
    Path dir;
    /** How many requests each store had logged before the agent started (the test's own setup). */
    int s3Before;
    int r2Before;

    @BeforeAll
    static void startStores() throws Exception {
        s3 = S3ProxyServer.start(S3_ID, S3_SECRET);
        r2 = S3ProxyServer.start(R2_ID, R2_SECRET);
        s3.createBucket("bucket");
        r2.createBucket("bucket");
    }

    @AfterAll
    static void stopStores() {
        s3.close();
        r2.close();
    }

    @BeforeEach
    void start() throws Exception {
        for (S3ProxyServer store : List.of(s3, r2)) { // what an earlier test wrote
            store.client().listObjectsV2Paginator(b -> b.bucket("bucket")).contents().forEach(o -> store.client()
                    .deleteObject(b -> b.bucket("bucket").key(o.key())));
        }
        s3.put("bucket", "brief.md", "the-brief".getBytes(StandardCharsets.UTF_8));
        r2.put("bucket", "x", "the-x".getBytes(StandardCharsets.UTF_8));
        s3Before = s3.requests().size();
        r2Before = r2.requests().size();
        Files.writeString(dir.resolve("work.sh"), WORK_SH);
    }

    /** The requests {@code store} logged since {@link #start()}: the agent's. */
    static List<String> agentRequests(S3ProxyServer store, int before) throws IOException {
        List<String> all = store.requests();
        return all.subList(before, all.size());
    }

    /** The stores as {@code orgmesh.agent.artifacts.{r2,s3}.*} would configure them for the test servers. */
    Map<String, S3Artifacts.Settings> stores() {
        return Map.of("s3", S3Artifacts.Settings.of("s3", s3.endpoint(), Optional.of("eu-west-1"), Optional.of(true),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(5), 1024 * 1024), "r2",
                S3Artifacts.Settings
                        .of("r2", r2.endpoint(), Optional.empty(), Optional.empty(), Optional.of("R2_ID"), Optional.of(
                                "R2_KEY"), Duration.ofSeconds(5), 1024 * 1024));
    }

    Fixture start(HubTopology topology) throws Exception {
        return Fixture.start(topology.hub(), OrgLoader.parse(ORG.formatted(Fixture.randomCompany()), "test"),
                StorageType.Memory);
    }

    static Envelope task(String id, String... artifacts) {
        return Fixture.envelope("cto", "dev1", "task").id(id).subject("read the brief").artifacts(List.of(artifacts))
                .build();
    }

    @Test
    void artifactsAreFetchedBeforeTheBrainRunsAndWhatItWritesIsPut(HubTopology topology) throws Exception {
        try (Fixture f = start(topology)) {
            Fixture.Inbox cto = f.inbox("cto");
            f.agent(topology.leaf(0), "dev1", dir, dir, Map.of("AWS_ACCESS_KEY_ID", S3_ID, "AWS_SECRET_ACCESS_KEY",
                    S3_SECRET, "R2_ID", R2_ID, "R2_KEY", R2_SECRET), stores(), null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), task("t-1", "s3://bucket/brief.md", "r2://bucket/x"));

            await().atMost(Duration.ofSeconds(15)).until(() -> !cto.ofType("report").isEmpty());
            Envelope report = cto.ofType("report").getFirst();
            assertThat(report.summary()).as("the brain read both files from its workspace").isEqualTo(
                    "read the-brief and the-x");
            assertThat(report.artifacts()).containsExactly("s3://bucket/out/report.md");
            assertThat(agentRequests(s3, s3Before)).containsExactly("GET /bucket/brief.md",
                    "PUT /bucket/out/report.md");
            assertThat(agentRequests(r2, r2Before)).containsExactly("GET /bucket/x");
            assertThat(s3.get("bucket", "out/report.md")).asString(StandardCharsets.UTF_8).isEqualTo(
                    "report on: the-brief\n");
            assertThat(dir.resolve("dev1/artifacts/s3/bucket/brief.md")).hasContent("the-brief");
            assertThat(dir.resolve("dev1/artifacts/r2/bucket/x")).hasContent("the-x");
        }
    }

    @Test
    void wrongCredentialsFailTheTaskWithTheStoresErrorBeforeTheBrainRuns(HubTopology topology) throws Exception {
        try (Fixture f = start(topology)) {
            Fixture.Inbox cto = f.inbox("cto");
            f.agent(topology.leaf(0), "dev1", dir, dir, Map.of("AWS_ACCESS_KEY_ID", S3_ID, "AWS_SECRET_ACCESS_KEY",
                    "not-the-secret", "R2_ID", R2_ID, "R2_KEY", R2_SECRET), stores(), null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), task("t-denied", "s3://bucket/brief.md"));
            await().atMost(Duration.ofSeconds(15)).until(() -> !cto.ofType("escalation").isEmpty());
            Envelope esc = cto.ofType("escalation").getFirst();
            assertThat(esc.re()).isEqualTo("t-denied");
            assertThat(esc.context()).contains("OM-4002").contains("artifact s3://bucket/brief.md could not be"
                    + " fetched").contains("403 SignatureDoesNotMatch").doesNotContain("not-the-secret");
            assertThat(dir.resolve("dev1/ran.log")).as("the brain did not run").doesNotExist();
            assertThat(agentRequests(s3, s3Before)).as("refused at once, not retried").containsExactly(
                    "GET /bucket/brief.md");
        }
    }

    @Test
    void aMissingKeyIsListedForTheBrainAsNotFound(HubTopology topology) throws Exception {
        try (Fixture f = start(topology)) {
            Fixture.Inbox cto = f.inbox("cto");
            f.agent(topology.leaf(0), "dev1", dir, dir, Map.of("AWS_ACCESS_KEY_ID", S3_ID, "AWS_SECRET_ACCESS_KEY",
                    S3_SECRET, "R2_ID", R2_ID, "R2_KEY", R2_SECRET), stores(), null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), task("t-gone", "s3://bucket/brief.md", "r2://bucket/x",
                    "r2://bucket/gone.md"));
            await().atMost(Duration.ofSeconds(15)).until(() -> !cto.ofType("report").isEmpty());
            assertThat(cto.ofType("report").getFirst().summary()).as("the work went on without it").isEqualTo(
                    "read the-brief and the-x");
            assertThat(agentRequests(r2, r2Before)).containsExactly("GET /bucket/x", "GET /bucket/gone.md");
            assertThat(dir.resolve("dev1/artifacts/r2/bucket/gone.md")).doesNotExist();
        }
    }

    @Test
    void withoutAStoreConfiguredR2ReferencesStayInTheObjectStore(HubTopology topology) throws Exception {
        try (Fixture f = start(topology)) {
            Fixture.Inbox cto = f.inbox("cto");
            String bucket = f.subjects.artifactBucket();
            f.hubClient.objectStoreManagement().create(ObjectStoreConfiguration.builder(bucket).storageType(
                    StorageType.Memory).build());
            ObjectStore os = f.hubClient.objectStore(bucket, ObjectStoreOptions.builder().build());
            os.put(ObjectMeta.builder("bucket/brief.md").build(), new ByteArrayInputStream("obj-brief"
                    .getBytes(StandardCharsets.UTF_8)));
            os.put(ObjectMeta.builder("bucket/x").build(), new ByteArrayInputStream("obj-x".getBytes(
                    StandardCharsets.UTF_8)));
            f.agent(topology.leaf(0), "dev1", dir, dir, null, Fixture.options());

            f.publish(f.subjects.dm("dev1"), Fixture.envelope("cto", "dev1", "task").id("t-obj").subject("brief")
                    .artifacts(List.of("s3://bucket/brief.md", "r2://bucket/x")).build());

            await().atMost(Duration.ofSeconds(15)).until(() -> !cto.ofType("report").isEmpty());
            assertThat(cto.ofType("report").getFirst().summary()).isEqualTo("read obj-brief and obj-x");
            ByteArrayOutputStream stored = new ByteArrayOutputStream();
            os.get("bucket/out/report.md", stored);
            assertThat(stored.toString(StandardCharsets.UTF_8)).isEqualTo("report on: obj-brief\n");
            assertThat(agentRequests(s3, s3Before)).isEmpty();
            assertThat(agentRequests(r2, r2Before)).isEmpty();
        }
    }
}
