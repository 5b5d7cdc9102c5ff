package dev.orgmesh.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;

/** Test helpers: jnats connections and random names. */
final class Clients {

    private Clients() {
    }

    /** Connects to one URL or a comma-separated list, failing fast if the server is not there. */
    static Connection connect(String urls) throws IOException, InterruptedException {
        return Nats.connect(Options.builder().server(urls).connectionTimeout(Duration.ofSeconds(2)).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).build());
    }

    /** A stream or consumer name nobody else uses. */
    static String uniqueName(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "");
    }
}
