package dev.orgmesh.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

@NatsTest
class NatsConnectorTest {

    @Test
    void connectsAndRoundTrips(NatsServer server) throws Exception {
        try (Connection c = NatsConnector.connect(NatsSettings.of(server.clientUrl()).withName("connector-test"))) {
            Subscription sub = c.subscribe("t.echo");
            c.publish("t.echo", "hi".getBytes(StandardCharsets.UTF_8));
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            assertThat(m).isNotNull();
            assertThat(new String(m.getData(), StandardCharsets.UTF_8)).isEqualTo("hi");
        }
    }

    @Test
    void jetStreamWithoutDomainReachesTheLocalServer(NatsServer server) throws Exception {
        NatsSettings s = NatsSettings.of(server.clientUrl()).withDomain("");
        assertThat(s.jsDomain()).isEmpty();
        try (Connection c = NatsConnector.connect(s)) {
            JetStreamManagement jsm = c.jetStreamManagement(NatsConnector.jetStreamOptions(s));
            jsm.addStream(StreamConfiguration.builder().name("CONNTEST").subjects("conntest.>")
                    .storageType(StorageType.Memory).build());
            assertThat(jsm.getStreamNames()).contains("CONNTEST");
        }
    }

    @Test
    void unreachableServerIsNamedInTheError() {
        String url = "nats://127.0.0.1:" + FreePorts.next();
        assertThatThrownBy(() -> NatsConnector.connect(NatsSettings.of(url)))
                .isInstanceOfSatisfying(OrgmeshException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NATS_UNAVAILABLE);
                    assertThat(e.getMessage()).contains(url);
                });
    }

    @Test
    void nkeySeedFileAndInboxPrefix(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        io.nats.client.NKey user = io.nats.client.NKey.createUser(new java.security.SecureRandom());
        Path seed = dir.resolve("user.nk");
        java.nio.file.Files.writeString(seed, new String(user.getSeed()) + "\n");
        int port = FreePorts.next();
        Path conf = dir.resolve("nkey.conf");
        java.nio.file.Files.writeString(conf, "listen: 127.0.0.1:" + port + "\n"
                + "authorization { users = [ { nkey: " + new String(user.getPublicKey()) + " } ] }\n");
        try (NatsServer server = NatsServer.start(conf, port)) {
            assertThatThrownBy(() -> NatsConnector.connect(NatsSettings.of(server.clientUrl())))
                    .as("the server requires the key").isInstanceOf(OrgmeshException.class);
            NatsSettings s = NatsSettings.of(server.clientUrl()).withCreds(seed).withInboxPrefix("_INBOX.cto-athena");
            try (Connection c = NatsConnector.connect(s)) {
                assertThat(c.getStatus()).isEqualTo(Connection.Status.CONNECTED);
                assertThat(c.createInbox()).startsWith("_INBOX.cto-athena.");
            }
        }
    }

    @Test
    void missingCredentialsFileIsNamed() {
        Path missing = Path.of("/nonexistent/agent.creds");
        assertThatThrownBy(
                () -> NatsConnector.options(NatsSettings.of("nats://127.0.0.1:1").withCreds(missing), null, null))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        e -> assertThat(e.getMessage()).contains(missing.toString()));
    }
}
