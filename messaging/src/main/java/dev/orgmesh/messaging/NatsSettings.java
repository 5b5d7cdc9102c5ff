package dev.orgmesh.messaging;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How to reach NATS: the URL (on an agent machine, the local leaf at {@code nats://127.0.0.1:4222}), the
 * credentials file, and the JetStream domain that holds the org's streams.
 *
 * @param url one or more comma-separated server URLs
 * @param credsFile an NKey seed or JWT credentials file; empty for an unauthenticated local leaf
 * @param jsDomain JetStream domain of the hub ({@code hub}); empty when talking to a JetStream server directly
 * @param connectionName name shown in the server's connz, e.g. {@code orgmesh-heartbeat}
 * @param connectTimeout how long one connection attempt may take
 * @param reconnectWait pause between reconnect attempts; reconnects never give up
 * @param inboxPrefix the member's private reply prefix ({@code _INBOX.<id>}); rendered permissions only let a
 *        member receive replies under it (ADR 0001). Empty for the default {@code _INBOX}
 */
public record NatsSettings(String url, Optional<Path> credsFile, Optional<String> jsDomain, String connectionName,
        Duration connectTimeout, Duration reconnectWait, Optional<String> inboxPrefix) {

    /** Settings with the defaults for everything but the URL. */
    public static NatsSettings of(String url) {
        return new NatsSettings(url, Optional.empty(), Optional.empty(), "orgmesh", Duration.ofSeconds(5),
                Duration.ofSeconds(1), Optional.empty());
    }

    public NatsSettings withCreds(Path creds) {
        return new NatsSettings(url, Optional.ofNullable(creds), jsDomain, connectionName, connectTimeout,
                reconnectWait, inboxPrefix);
    }

    public NatsSettings withDomain(String domain) {
        return new NatsSettings(url, credsFile, Optional.ofNullable(domain).filter(d -> !d.isBlank()), connectionName,
                connectTimeout, reconnectWait, inboxPrefix);
    }

    public NatsSettings withName(String name) {
        return new NatsSettings(url, credsFile, jsDomain, name, connectTimeout, reconnectWait, inboxPrefix);
    }

    public NatsSettings withInboxPrefix(String prefix) {
        return new NatsSettings(url, credsFile, jsDomain, connectionName, connectTimeout, reconnectWait,
                Optional.ofNullable(prefix).filter(p -> !p.isBlank()));
    }
}
