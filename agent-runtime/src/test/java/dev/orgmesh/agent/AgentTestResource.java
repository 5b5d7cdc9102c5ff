package dev.orgmesh.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.nats.client.Connection;
import io.nats.client.api.StorageType;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTestResource;

/**
 * A real JetStream server with an org applied and written to a file, and the agent runtime pointed at it as agent
 * {@code cto}: what {@code orgmesh apply} and a deploy would have prepared.
 */
public class AgentTestResource implements QuarkusTestResourceLifecycleManager {
    private NatsServer server;
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            server = NatsServer.jetStream();
            String text = Fixture.ORG.formatted(Fixture.randomCompany());
            Org org = OrgLoader.parse(text, "test");
            dir = Files.createTempDirectory("orgmesh-agent-test");
            Path orgFile = Files.writeString(dir.resolve("org.yaml"), text);
            try (Connection c = NatsConnector.connect(NatsSettings.of(server.clientUrl()))) {
                Fixture.apply(c, org, StorageType.Memory);
            }
            return Map.of(NatsTestResource.URL_PROPERTY, server.clientUrl(), "orgmesh.agent.org-file",
                    orgFile.toString(), "orgmesh.agent.id", "cto", "orgmesh.agent.beacon-interval", "1s",
                    "orgmesh.agent.workspace", dir.resolve("workspace").toString(),
                    // configured but never used here: the boot reads the r2 store's settings
                    "orgmesh.agent.artifacts.r2.endpoint", "https://account.r2.cloudflarestorage.com");
        } catch (Exception e) {
            throw new IllegalStateException("cannot prepare the agent test server", e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException e) {
                // temp dir, best effort
            }
        }
    }
}
