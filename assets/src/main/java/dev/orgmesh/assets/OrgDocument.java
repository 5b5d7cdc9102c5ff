package dev.orgmesh.assets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The org file as stored in the org bucket under key {@value #KEY}: the text the operator wrote, so every service
 * reads the same org and can watch it change. Stored as written (comments included), never re-serialized.
 */
public final class OrgDocument {
    /** The key of the org file in the org bucket. */
    public static final String KEY = "org";

    private OrgDocument() {
    }

    /** Stores {@code text} unless the bucket already holds exactly it; returns whether it changed. */
    public static boolean put(KeyValue kv, String text) {
        try {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            KeyValueEntry current = kv.get(KEY);
            if (current != null && current.getOperation() == KeyValueOperation.PUT
                    && Arrays.equals(current.getValue(), bytes)) {
                return false;
            }
            kv.put(KEY, bytes);
            return true;
        } catch (IOException | JetStreamApiException e) {
            throw new OrgmeshException(ErrorCode.APPLY_FAILED,
                    "cannot store the org in bucket " + kv.getBucketName() + ": " + e.getMessage(), e);
        }
    }

    /** The stored org text, or {@code null} when none is stored. */
    public static String get(KeyValue kv) {
        try {
            KeyValueEntry e = kv.get(KEY);
            return e == null || e.getOperation() != KeyValueOperation.PUT
                    ? null
                    : new String(e.getValue(), StandardCharsets.UTF_8);
        } catch (IOException | JetStreamApiException e) {
            throw new OrgmeshException(ErrorCode.APPLY_FAILED,
                    "cannot read the org from bucket " + kv.getBucketName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Calls {@code onChange} with every new version of the org text, starting with the current one. Close the
     * returned subscription to stop.
     */
    public static NatsKeyValueWatchSubscription watch(KeyValue kv, Consumer<String> onChange) {
        try {
            return kv.watch(KEY, new KeyValueWatcher() {
                @Override
                public void watch(KeyValueEntry entry) {
                    if (entry.getOperation() == KeyValueOperation.PUT) {
                        onChange.accept(new String(entry.getValue(), StandardCharsets.UTF_8));
                    }
                }

                @Override
                public void endOfData() {
                    // the current value, if any, has been delivered
                }
            });
        } catch (IOException | JetStreamApiException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new OrgmeshException(ErrorCode.APPLY_FAILED,
                    "cannot watch the org in bucket " + kv.getBucketName() + ": " + e.getMessage(), e);
        }
    }
}
