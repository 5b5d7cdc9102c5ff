package dev.orgmesh.console.live;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;

import dev.orgmesh.messaging.BucketWait;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Subjects;

/**
 * Feeds a {@link LiveState} from NATS' buckets: KV watchers on the presence, approvals and budgets buckets. A bucket
 * that does not exist yet is waited for with {@link BucketWait}'s back-off until {@code apply} creates it. The
 * messages of {@code {co}.>} reach the state through the Reactive Messaging channel {@code feed} instead (the
 * console's {@code FeedChannel}).
 */
public final class NatsFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NatsFollower.class);

    private final Connection connection;
    private final NatsSettings settings;
    private final LiveState state;
    private final List<NatsKeyValueWatchSubscription> watches = new CopyOnWriteArrayList<>();
    private final List<Thread> attachers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public NatsFollower(Connection connection, NatsSettings settings, LiveState state) {
        this.connection = connection;
        this.settings = settings;
        this.state = state;
    }

    /** Starts following {@code subjects}' buckets. */
    public void start(Subjects subjects) {
        follow(subjects.presenceBucket(), state::presence);
        follow(subjects.approvalsBucket(), state::approval);
        follow(subjects.budgetsBucket(), state::budget);
    }

    private void follow(String bucket, BiConsumer<String, byte[]> sink) {
        attachers.add(Thread.ofVirtual().name("console-watch-" + bucket).start(() -> {
            try {
                KeyValue kv = BucketWait.await(connection, settings, bucket, "console");
                if (closed) {
                    return;
                }
                watches.add(kv.watchAll(new KeyValueWatcher() {
                    @Override
                    public void watch(KeyValueEntry e) {
                        sink.accept(e.getKey(), e.getOperation() == KeyValueOperation.PUT ? e.getValue() : null);
                    }

                    @Override
                    public void endOfData() {
                        // the current values have been delivered; updates follow
                    }
                }));
                LOG.infof("following bucket %s", bucket);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.errorf("%s cannot watch bucket %s: %s; the page will not show it", ErrorCode.NATS_UNAVAILABLE
                        .label(), bucket, e.toString());
            }
        }));
    }

    @Override
    public void close() {
        closed = true;
        attachers.forEach(Thread::interrupt);
        for (NatsKeyValueWatchSubscription w : watches) {
            try {
                w.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribing a watch: %s", e.toString());
            }
        }
    }
}
