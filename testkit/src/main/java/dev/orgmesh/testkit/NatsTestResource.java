package dev.orgmesh.testkit;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Quarkus test resource that starts a single JetStream {@link NatsServer} on a random port and points the
 * application at it through {@value #URL_PROPERTY}, so {@code @QuarkusTest}s run against a real server.
 *
 * <p>
 * Use with {@code @QuarkusTestResource(NatsTestResource.class)} (or {@code @WithTestResource}).
 */
public class NatsTestResource implements QuarkusTestResourceLifecycleManager {

    /** The config key orgmesh services read the NATS URL from. */
    public static final String URL_PROPERTY = "orgmesh.nats.url";

    private NatsServer server;

    @Override
    public Map<String, String> start() {
        server = NatsServer.jetStream();
        return Map.of(URL_PROPERTY, server.clientUrl());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** The running server, for resources or tests that need more than its URL; null before start. */
    public NatsServer server() {
        return server;
    }
}
