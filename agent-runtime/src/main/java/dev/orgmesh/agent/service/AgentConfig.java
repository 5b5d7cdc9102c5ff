package dev.orgmesh.agent.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.agent.runtime.RuntimeOptions;

/** Settings of one agent runtime ({@code orgmesh.agent.*}); NATS itself is {@code orgmesh.nats.*}. */
@ConfigMapping(prefix = "orgmesh.agent")
public interface AgentConfig {
    /** The org file (YAML or JSON) this agent's soul is read from. */
    Path orgFile();

    /** This agent's member id in the org. */
    String id();

    /**
     * The hub's leafnode URL the local leaf dials ({@code nats-leaf://host:7422}); checked at boot so a client port
     * (4222) is refused. Defaults to the org file's {@code hub.url}.
     */
    Optional<String> hubUrl();

    /** Messages handled at once, across all sources. */
    @WithDefault("4")
    int concurrency();

    /** Pause between presence beacons. */
    @WithDefault("10s")
    Duration beaconInterval();

    /** Hand-offs after which a message is treated as a loop: escalated, not handled. */
    @WithDefault("10")
    int maxHops();

    /** Outgoing messages that may wait in memory while the hub is unreachable. */
    @WithDefault("10000")
    int outboxCapacity();

    /** How long a handled message waits for its outgoing messages to be stored before it is redelivered. */
    @WithDefault("2m")
    Duration outboxWait();

    /** Longest a handler may work on one message (it is kept from redelivery meanwhile). */
    @WithDefault("15m")
    Duration handlerTimeout();

    /** How long a graceful stop waits for messages being worked and the outbox. */
    @WithDefault("10s")
    Duration shutdownGrace();

    /** The options for the plain runtime. */
    default RuntimeOptions options() {
        RuntimeOptions d = RuntimeOptions.defaults();
        return new RuntimeOptions(concurrency(), Math.min(d.fetchBatch(), concurrency()), d.fetchWait(),
                beaconInterval(), maxHops(), d.recentIds(), outboxCapacity(), outboxWait(), d.publishTimeout(),
                d.publishBackoff(), d.nakBackoff(), handlerTimeout(), d.ackTimeout());
    }
}
