package dev.orgmesh.agent.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.NatsServerBinary;

/**
 * The runtime's own leaf: started from its config, killed with SIGKILL, restarted by the supervisor; a client on the
 * leaf reconnects and reaches the hub's JetStream again. A leaf that cannot start is retried with backoff and says
 * why.
 */
class LeafSupervisorTest {

    @Test
    void aKilledLeafIsRestartedAndClientsGetBackToTheHub(@TempDir Path dir) throws Exception {
        try (HubTopology hub = HubTopology.start(0)) {
            int port = FreePorts.next();
            Path conf = dir.resolve("leaf.conf");
            Files.writeString(conf, """
                    server_name: supervised-leaf
                    listen: 127.0.0.1:%d
                    leafnodes { remotes: [ { url: "%s" } ] }
                    """.formatted(port, hub.hub().leafnodeUrl()));
            try (LeafSupervisor leaf = new LeafSupervisor(NatsServerBinary.path().toString(), conf,
                    dir.resolve("leaf.log"),
                    new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1))).start()) {
                await().atMost(Duration.ofSeconds(10)).until(leaf::isRunning);
                NatsSettings settings = NatsSettings.of("nats://127.0.0.1:" + port).withDomain(HubTopology.JS_DOMAIN);
                try (Connection c = NatsConnector.connect(settings)) {
                    JetStreamManagement jsm = c.jetStreamManagement(NatsConnector.jetStreamOptions(settings));
                    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> jsm.addStream(
                            StreamConfiguration.builder().name("SUP").subjects("sup.>").storageType(StorageType.Memory)
                                    .build()) != null);
                    var js = c.jetStream(NatsConnector.jetStreamOptions(settings));
                    assertThat(js.publish("sup.one", "1".getBytes()).getSeqno()).isEqualTo(1);

                    long before = leaf.pid();
                    ProcessHandle.of(before).orElseThrow().destroyForcibly(); // kill -9
                    await().atMost(Duration.ofSeconds(10)).until(() -> leaf.restarts() == 1 && leaf.isRunning()
                            && leaf.pid() != before);
                    assertThat(leaf.lastFailure()).contains("leaf exited with code");

                    await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                            .until(() -> js.publish("sup.two", "2".getBytes()).getSeqno() == 2);
                }
            }
        }
    }

    @Test
    void aLeafThatCannotStartIsRetriedCalmlyAndSaysWhy(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("leaf.conf");
        Files.writeString(conf, "this is { not a nats config\n");
        try (LeafSupervisor leaf = new LeafSupervisor(NatsServerBinary.path().toString(), conf, dir.resolve("leaf.log"),
                new Backoff(Duration.ofMillis(300), Duration.ofSeconds(1))).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> leaf.restarts() >= 1);
            await("backoff, not a tight loop").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                    .until(() -> leaf.restarts() <= 5);
            assertThat(leaf.lastFailure()).contains("leaf exited with code 1").contains("Parse error on line 1");
        }
        assertThatThrownBy(() -> new LeafSupervisor("nats-server", dir.resolve("missing.conf"), dir.resolve("x.log"),
                Backoff.defaults())).isInstanceOf(OrgmeshException.class).hasMessageContaining("no leaf config at")
                .hasMessageContaining("orgmesh render");
    }

    @Test
    void anOldServerIsRefusedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("leaf.conf"), "listen: 127.0.0.1:-1\n");
        Path old = Files.writeString(dir.resolve("nats-server"), "#!/bin/sh\necho 'nats-server: v2.9.10'\n");
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwxr-xr-x"));

        assertThatThrownBy(() -> new LeafSupervisor(old.toString(), conf, dir.resolve("leaf.log"), Backoff.defaults()))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_TOO_OLD))
                .hasMessageContaining("2.9.10").hasMessageContaining("needs 2.12.0 or newer");
        assertThat(dir.resolve("leaf.log")).doesNotExist();
    }
}
