package dev.orgmesh.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;

import dev.orgmesh.assets.OrgDocument;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.testkit.NatsServer;

/**
 * The shared start-up on a real nats-server: it waits for NATS (woken by the connection's events), then for the org
 * bucket, follows the stored org, and keeps why it has not started as the problem the readiness checks show.
 */
class ServiceStartTest {
    static final String ORG = """
            company: sst
            teams: { ops: {} }
            humans: [ { id: boss } ]
            agents:
              - { id: a1, role: role-ops, team: ops, reports_to: boss }
            """;

    @Test
    void waitsForNatsThenForTheOrgBucketThenFollowsTheStoredOrg() throws Exception {
        try (NatsServer server = NatsServer.jetStream()) {
            server.stop();
            NatsClient client = new NatsClient(config(server.clientUrl()), "service-start-test");
            client.start();
            List<Org> orgs = new CopyOnWriteArrayList<>();
            AtomicReference<Subjects> subjects = new AtomicReference<>();
            try (ServiceStart start = new ServiceStart("svc", client, ErrorCode.APPLY_FAILED)) {
                start.run(c -> subjects.set(start.followOrg(c, source(Optional.empty(), "sst"), orgs::add)));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> start.problem().orElse("")
                                .startsWith("waiting for NATS at " + server.clientUrl()));
                assertThat(client.awaitConnected(Duration.ofMillis(100))).isEmpty();

                server.restart();
                assertThat(client.awaitConnected(Duration.ofSeconds(10))).isPresent();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> start.problem().equals(Optional.of("waiting for bucket OM_SST_ORG")));
                assertThat(orgs).isEmpty();

                try (Connection c = Nats.connect(server.clientUrl())) {
                    c.keyValueManagement().create(KeyValueConfiguration.builder().name("OM_SST_ORG")
                            .storageType(StorageType.Memory).build());
                    OrgDocument.put(c.keyValue("OM_SST_ORG"), ORG);
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> orgs.size() == 1);
                assertThat(orgs.getFirst().company()).isEqualTo("sst");
                assertThat(subjects.get().company()).isEqualTo("sst");
                await().atMost(Duration.ofSeconds(5)).until(() -> start.problem().isEmpty());
            } finally {
                client.stop();
            }
        }
    }

    @Test
    void aFailedStartIsLoggedKeptAsTheProblemAndHandedOn() throws Exception {
        try (NatsServer server = NatsServer.jetStream()) {
            NatsClient client = new NatsClient(config(server.clientUrl()), "service-start-test");
            client.start();
            AtomicReference<OrgmeshException> failed = new AtomicReference<>();
            try (ServiceStart start = new ServiceStart("svc", client, ErrorCode.APPLY_FAILED)) {
                start.onFailure(failed::set).run(c -> {
                    throw new OrgmeshException(ErrorCode.ORG_UNREADABLE, "no org stored for company x");
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> failed.get() != null);
                assertThat(failed.get().code()).isEqualTo(ErrorCode.ORG_UNREADABLE);
                assertThat(start.problem()).contains("no org stored for company x");
            } finally {
                client.stop();
            }
        }
    }

    @Test
    void givesUpOnNatsAfterTheGraceWhenAskedTo() throws Exception {
        try (NatsServer server = NatsServer.jetStream()) {
            server.stop();
            NatsClient client = new NatsClient(config(server.clientUrl()), "service-start-test");
            client.start();
            AtomicReference<OrgmeshException> failed = new AtomicReference<>();
            try (ServiceStart start = new ServiceStart("svc", client, ErrorCode.APPLY_FAILED)) {
                start.connectWithin(Duration.ofMillis(200)).onFailure(failed::set).run(c -> {
                    throw new AssertionError("the work must not run without NATS");
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> failed.get() != null);
                assertThat(failed.get().code()).isEqualTo(ErrorCode.NATS_UNAVAILABLE);
                assertThat(failed.get().getMessage()).contains(server.clientUrl()).contains("PT0.2S");
            } finally {
                client.stop();
            }
        }
    }

    @Test
    void anUnnamedOrgIsRefusedWithTheKeysToSet() {
        try (ServiceStart start = new ServiceStart("svc", null, ErrorCode.APPLY_FAILED)) {
            assertThat(start.orgNamed(source(Optional.empty(), ""), "orgmesh.svc", ErrorCode.ORG_UNREADABLE, "idle"))
                    .isFalse();
            assertThat(start.problem()).contains("no org: set orgmesh.svc.org-file or orgmesh.svc.company");
            assertThat(start.orgNamed(source(Optional.of(Path.of("org.yaml")), ""), "orgmesh.svc",
                    ErrorCode.ORG_UNREADABLE, "idle")).isTrue();
        }
    }

    static OrgSource source(Optional<Path> file, String company) {
        return new OrgSource() {
            @Override
            public Optional<Path> orgFile() {
                return file;
            }

            @Override
            public Optional<String> company() {
                return Optional.of(company);
            }
        };
    }

    static NatsConfig config(String url) {
        return TestNats.config(url);
    }
}
