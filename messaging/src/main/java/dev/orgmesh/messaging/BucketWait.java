package dev.orgmesh.messaging;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;

import dev.orgmesh.messaging.flow.Backoff;

/**
 * Waits for a KV bucket that another process makes ({@code orgmesh apply} and hub-bootstrap create every org
 * bucket). The services cannot be told when a bucket appears (the stream-created advisory is outside their
 * permissions, ADR 0001), so they ask again with one bounded back-off, {@link #BACKOFF}, say at INFO what they wait
 * for and who makes it, and say it again every {@link #LOG_EVERY} while it lasts.
 */
public final class BucketWait {
    private static final Logger LOG = Logger.getLogger(BucketWait.class);

    /** Between two looks for a missing bucket: 100 ms doubling to 5 s. */
    public static final Backoff BACKOFF = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

    /** How often a waiter repeats that it is still waiting. */
    public static final Duration LOG_EVERY = Duration.ofMinutes(1);

    private BucketWait() {
    }

    /**
     * The bucket {@code bucket} in {@code settings}' JetStream domain, once it exists; {@code waiter} names who waits,
     * for the log. Interrupt the calling thread to stop waiting.
     */
    public static KeyValue await(Connection connection, NatsSettings settings, String bucket, String waiter)
            throws InterruptedException {
        long nextLog = System.nanoTime();
        for (int attempt = 1;; attempt++) {
            Optional<KeyValue> kv = find(connection, settings, bucket);
            if (kv.isPresent()) {
                if (attempt > 1) {
                    LOG.infof("%s found bucket %s", waiter, bucket);
                }
                return kv.get();
            }
            if (System.nanoTime() - nextLog >= 0) {
                LOG.infof("%s waits for bucket %s (made by orgmesh apply / hub-bootstrap); looking again in at most %s",
                        waiter, bucket, BACKOFF.max());
                nextLog = System.nanoTime() + LOG_EVERY.toNanos();
            }
            Thread.sleep(BACKOFF.delay(attempt));
        }
    }

    /** The bucket now, or empty when it does not exist (yet) or cannot be read. */
    public static Optional<KeyValue> find(Connection connection, NatsSettings settings, String bucket)
            throws InterruptedException {
        try {
            KeyValue kv = connection.keyValue(bucket,
                    KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
            kv.getStatus();
            return Optional.of(kv);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("bucket %s not there yet: %s", bucket, e.toString());
            return Optional.empty();
        }
    }
}
