package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamOptions;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreOptions;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;

/**
 * Artifacts in NATS Object Store buckets on the hub (through the leaf, with the hub's JetStream domain). An
 * {@code obj://{bucket}/{name}} reference is object {@code name} of {@code bucket}; any other scheme that reaches
 * this store ({@code r2://}, {@code s3://} without an S3-compatible store configured, see {@link ArtifactStores}) is object
 * {@code {bucket}/{key}} of the company's artifact bucket. A bucket that does not exist yet is created on the first
 * publish (file storage, one replica; {@code orgmesh apply} may create it with other limits beforehand).
 */
public final class ObjectStoreArtifacts implements ArtifactStore {
    private static final Logger LOG = Logger.getLogger(ObjectStoreArtifacts.class);
    /** JetStream's "stream not found": the bucket does not exist. */
    private static final int STREAM_NOT_FOUND = 10059;

    private final Connection connection;
    private final ObjectStoreOptions options;
    private final String defaultBucket;
    private final Map<String, ObjectStore> buckets = new ConcurrentHashMap<>();

    /**
     * @param jso JetStream options of the agent's connection (the hub's domain)
     * @param defaultBucket the company's artifact bucket ({@code Subjects.artifactBucket()})
     */
    public ObjectStoreArtifacts(Connection connection, JetStreamOptions jso, String defaultBucket) {
        this.connection = connection;
        this.options = ObjectStoreOptions.builder().jetStreamOptions(jso).jsRequestTimeout(Duration.ofSeconds(5))
                .build();
        this.defaultBucket = defaultBucket;
    }

    /** The bucket and object name {@code ref} maps to. */
    public Location locate(ArtifactRef ref) {
        return ref.scheme().equals("obj")
                ? new Location(ref.bucket(), ref.name())
                : new Location(defaultBucket, ref.bucket() + "/" + ref.name());
    }

    /** A bucket and an object name in it. */
    public record Location(String bucket, String object) {
    }

    @Override
    public boolean fetch(ArtifactRef ref, Path file) throws IOException {
        Location at = locate(ref);
        ObjectStore os = bucket(at.bucket(), false);
        if (os == null) {
            return false;
        }
        try {
            ObjectInfo info = os.getInfo(at.object());
            if (info == null || info.isDeleted()) {
                return false;
            }
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".part");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    os.get(at.object(), out);
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            LOG.debugf("fetched %s (%d bytes) to %s", ref, info.getSize(), file);
            return true;
        } catch (JetStreamApiException e) {
            throw new IOException("object store refused reading " + ref + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + ref, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void publish(ArtifactRef ref, Path file) throws IOException {
        Location at = locate(ref);
        ObjectStore os = bucket(at.bucket(), true);
        try (InputStream in = Files.newInputStream(file)) {
            ObjectInfo info = os.put(ObjectMeta.builder(at.object()).description("orgmesh artifact " + ref).build(),
                    in);
            LOG.debugf("published %s (%d bytes) as %s/%s", ref, info.getSize(), at.bucket(), at.object());
        } catch (JetStreamApiException e) {
            throw new IOException("object store refused storing " + ref + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bucket's handle; {@code null} when it does not exist and {@code create} is false. */
    private ObjectStore bucket(String name, boolean create) throws IOException {
        ObjectStore os = buckets.get(name);
        if (os != null) {
            return os;
        }
        try {
            os = connection.objectStore(name, options);
            os.getStatus();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw new IOException("object store bucket " + name + ": " + e.getMessage(), e);
            }
            if (!create) {
                return null;
            }
            os = createBucket(name);
        }
        buckets.put(name, os);
        return os;
    }

    private ObjectStore createBucket(String name) throws IOException {
        try {
            connection.objectStoreManagement(options).create(ObjectStoreConfiguration.builder(name)
                    .description("orgmesh artifacts").storageType(StorageType.File).replicas(1).build());
            LOG.infof("created object store bucket %s for artifacts", name);
        } catch (JetStreamApiException e) {
            // created meanwhile by someone else: use it
            LOG.debugf("creating bucket %s: %s", name, e.getMessage());
        }
        return connection.objectStore(name, options);
    }
}
