package dev.orgmesh.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code orgmesh.nats.*} and a {@link NatsClient} for a test server: no credentials, no domain, quick reconnects. */
public final class TestNats {
    private TestNats() {
    }

    /** The settings of a client of the unauthenticated server at {@code url}. */
    public static NatsConfig config(String url) {
        return new NatsConfig() {
            @Override
            public String url() {
                return url;
            }

            @Override
            public Optional<Path> creds() {
                return Optional.empty();
            }

            @Override
            public Optional<String> domain() {
                return Optional.empty();
            }

            @Override
            public Duration connectTimeout() {
                return Duration.ofSeconds(2);
            }

            @Override
            public Duration reconnectWait() {
                return Duration.ofMillis(100);
            }

            @Override
            public Optional<String> inboxPrefix() {
                return Optional.empty();
            }
        };
    }

    /** A {@link NatsClient} of the server at {@code url}, connecting in the background as a service's does. */
    public static NatsClient client(String url, String name) {
        NatsClient client = new NatsClient(config(url), name);
        client.start();
        return client;
    }

    /** Closes {@code client}'s connection as the service's shutdown does. */
    public static void stop(NatsClient client) throws InterruptedException {
        client.stop();
    }
}
