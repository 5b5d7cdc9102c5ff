package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where artifacts live. {@link ObjectStoreArtifacts} (NATS Object Store on the hub) is the default and serves every
 * scheme; {@link S3Artifacts} serves {@code r2://} or {@code s3://} where an S3-compatible endpoint is configured
 * (see {@link ArtifactStores}).
 */
public interface ArtifactStore {
    /**
     * Copies the artifact to {@code file} (parent directories created). Returns {@code false} when it does not exist;
     * throws {@link IOException} when the store cannot be reached (worth retrying later), or an
     * {@link ArtifactException} saying whether it is.
     */
    boolean fetch(ArtifactRef ref, Path file) throws IOException;

    /** Stores {@code file} as the artifact, replacing an older version. */
    void publish(ArtifactRef ref, Path file) throws IOException;
}
