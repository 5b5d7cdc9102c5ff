package dev.orgmesh.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.messaging.NatsSettings;

/** NATS connection settings of an orgmesh service ({@code orgmesh.nats.*}). */
@ConfigMapping(prefix = "orgmesh.nats")
public interface NatsConfig {
    /** Server URL(s), comma-separated. On an agent machine the local leaf; for hub services the hub. */
    @WithDefault("nats://127.0.0.1:4222")
    String url();

    /** NKey seed or JWT credentials file rendered by hub-bootstrap; absent for an unauthenticated local server. */
    Optional<Path> creds();

    /** JetStream domain of the hub. Empty when the service talks to the JetStream server itself. */
    Optional<String> domain();

    /** How long one connection attempt may take. */
    @WithDefault("5s")
    Duration connectTimeout();

    /** Pause between reconnect attempts. Reconnects never give up. */
    @WithDefault("1s")
    Duration reconnectWait();

    /** The member's private reply prefix ({@code _INBOX.<id>}), required by rendered member permissions. */
    Optional<String> inboxPrefix();

    /** The settings as the plain value the non-CDI classes take. */
    default NatsSettings settings(String connectionName) {
        return new NatsSettings(url(), creds(), domain().filter(d -> !d.isBlank()), connectionName, connectTimeout(),
                reconnectWait(), inboxPrefix().filter(p -> !p.isBlank()));
    }
}
