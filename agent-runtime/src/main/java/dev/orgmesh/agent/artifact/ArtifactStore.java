package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where artifacts live. {@link ObjectStoreArtifacts} (NATS Object Store on the hub) is the default and serves every
 * scheme; an S3-compatible implementation for {@code r2://} and {@code s3://} plugs in here (see
 * {@link ArtifactStores}).
 */
public interface ArtifactStore {
    /**
     * Copies the artifact to {@code file} (parent directories created). Returns {@code false} when it does not exist;
     * throws {@link IOException} when the store cannot be reached (worth retrying later).
     */
    boolean fetch(ArtifactRef ref, Path file) throws IOException;

    /** Stores {@code file} as the artifact, replacing an older version. */
    void publish(ArtifactRef ref, Path file) throws IOException;
}
