package dev.orgmesh.agent.runtime;

import java.time.Duration;
import java.time.Instant;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;

import dev.orgmesh.protocol.Subjects;

/**
 * Presence beacons: {@code {agent}} → a {@link dev.orgmesh.protocol.Presence} ({@code member}, {@code ts},
 * {@code interval_ms}, {@code status}) in the presence KV bucket, the value the heartbeat service and
 * {@code orgmesh status} read. The put goes through the
 * KV API in the hub's JetStream domain: a hub does not accept raw {@code $KV.>} publishes from a leaf, it does
 * accept them through the domain's API prefix. Called from the runtime's timer (a virtual thread); a failed beacon
 * (hub away) is logged at debug and the next one tries again.
 */
final class Presence {
    private static final Logger LOG = Logger.getLogger(Presence.class);

    private final Connection connection;
    private final JetStreamOptions jso;
    private final String bucket;
    private final String key;
    private final long intervalMs;
    private volatile KeyValue kv;

    Presence(Connection connection, JetStreamOptions jso, Subjects subjects, String agent,
            Duration interval) {
        this.connection = connection;
        this.jso = jso;
        this.bucket = subjects.presenceBucket();
        this.key = Subjects.token(agent);
        this.intervalMs = interval.toMillis();
    }

    /** Puts a beacon with {@code status} ({@code up}, {@code stopping}); blocks for at most the request timeout. */
    void beacon(String status) {
        try {
            KeyValue k = kv;
            if (k == null) {
                k = connection.keyValue(bucket, KeyValueOptions.builder().jetStreamOptions(jso).build());
                kv = k;
            }
            k.put(key, new dev.orgmesh.protocol.Presence(key, Instant.now(), intervalMs, status).encode());
        } catch (Exception e) {
            LOG.debugf("presence beacon not stored: %s", e.toString());
        }
    }
}
