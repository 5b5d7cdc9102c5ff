package dev.orgmesh.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

@NatsTest
class NatsServerTest {

    private final NatsServer shared;

    NatsServerTest(NatsServer shared) {
        this.shared = shared;
    }

    @Test
    void extensionSharesOneJetStreamServerPerClass(NatsServer injected) throws Exception {
        assertThat(injected).isSameAs(shared);
        assertThat(injected.isRunning()).isTrue();
        assertThat(injected.clientUrl()).isEqualTo("nats://127.0.0.1:" + injected.port());
        try (Connection connection = Clients.connect(injected.clientUrl())) {
            assertThat(connection.getServerInfo().isJetStreamAvailable()).isTrue();
        }
    }

    @Test
    void killAndRestartKeepPortAndJetStreamData() throws Exception {
        try (NatsServer server = NatsServer.jetStream()) {
            String stream = Clients.uniqueName("K");
            try (Connection connection = Clients.connect(server.clientUrl())) {
                JetStreamManagement jsm = connection.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>")
                        .storageType(StorageType.File).build());
                connection.jetStream().publish(stream + ".a", "before-kill".getBytes(UTF_8));
            }
            int port = server.port();
            Path store = server.storeDir();

            server.kill();
            assertThat(server.isRunning()).isFalse();
            server.restart();

            assertThat(server.isRunning()).isTrue();
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.storeDir()).isEqualTo(store);
            try (Connection connection = Clients.connect(server.clientUrl())) {
                JetStreamManagement jsm = connection.jetStreamManagement();
                assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).isEqualTo(1);
                MessageInfo message = jsm.getMessage(stream, 1);
                assertThat(new String(message.getData(), UTF_8)).isEqualTo("before-kill");
            }
        }
    }

    @Test
    void closeStopsTheServerAndDeletesItsTempDir() {
        NatsServer server = NatsServer.jetStream();
        Path workDir = server.workDir();
        assertThat(server.logFile()).exists();

        server.close();

        assertThat(server.isRunning()).isFalse();
        assertThat(workDir).doesNotExist();
    }

    @Test
    void startsFromACallerRenderedConfigFile(@TempDir Path dir) throws Exception {
        int clientPort = FreePorts.next();
        int monitorPort = FreePorts.next();
        Path config = dir.resolve("custom.conf");
        Files.writeString(config, """
                server_name: custom
                listen: "127.0.0.1:%d"
                http: "127.0.0.1:%d"
                jetstream { store_dir: "%s" }
                """.formatted(clientPort, monitorPort, dir.resolve("store")));

        try (NatsServer server = NatsServer.start(config, clientPort, monitorPort)) {
            assertThat(server.port()).isEqualTo(clientPort);
            assertThat(server.monitorPort()).isEqualTo(monitorPort);
            try (Connection connection = Clients.connect(server.clientUrl())) {
                assertThat(connection.getServerInfo().getServerName()).isEqualTo("custom");
            }
        }
    }

    @Test
    void badConfigFailsWithTheServerLog(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("broken.conf");
        Files.writeString(config, "listen: \"127.0.0.1:%d\"\nnot_an_option_at_all: {{{\n".formatted(FreePorts.next()));

        assertThatThrownBy(() -> NatsServer.start(config, FreePorts.next()))
                .isInstanceOf(NatsServerStartException.class).hasMessageContaining("exited with code")
                .hasMessageContaining("last lines of");
    }
}
