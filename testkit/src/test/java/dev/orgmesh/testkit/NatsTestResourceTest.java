package dev.orgmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;

class NatsTestResourceTest {

    @Test
    void providesTheUrlOfARunningJetStreamServerUntilStopped() throws Exception {
        NatsTestResource resource = new NatsTestResource();
        Map<String, String> config = resource.start();
        NatsServer server = resource.server();
        try {
            assertThat(config).containsEntry(NatsTestResource.URL_PROPERTY, server.clientUrl());
            try (Connection connection = Clients.connect(config.get(NatsTestResource.URL_PROPERTY))) {
                assertThat(connection.getServerInfo().isJetStreamAvailable()).isTrue();
            }
        } finally {
            resource.stop();
        }
        assertThat(server.isRunning()).isFalse();
        assertThat(server.workDir()).doesNotExist();
    }
}
