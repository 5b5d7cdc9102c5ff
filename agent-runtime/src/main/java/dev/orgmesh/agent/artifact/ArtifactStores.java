package dev.orgmesh.agent.artifact;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Routes references by scheme. {@code obj://} always goes to the object store. {@code r2://} and {@code s3://} go to
 * the store configured for that scheme ({@link S3Artifacts}, {@code orgmesh.agent.artifacts.r2|s3.endpoint}); without
 * one (the default) they go to the object store too, where {@code r2://komodo-ai/tasks/brief.md} is the object
 * {@code komodo-ai/tasks/brief.md} of the company's artifact bucket. So the seed's references work on a hub alone, and
 * moving them to real R2 is a configuration change for the readers and writers, not a change of the messages.
 */
public final class ArtifactStores implements ArtifactStore {
    private final ArtifactStore objects;
    private final Map<String, ArtifactStore> byScheme;

    /**
     * @param objects the object store (the default for every scheme)
     * @param byScheme stores for {@code r2} and {@code s3} where one is configured
     */
    public ArtifactStores(ArtifactStore objects, Map<String, ArtifactStore> byScheme) {
        this.objects = objects;
        this.byScheme = Map.copyOf(byScheme);
    }

    private ArtifactStore storeFor(ArtifactRef ref) {
        return ref.scheme().equals("obj") ? objects : byScheme.getOrDefault(ref.scheme(), objects);
    }

    @Override
    public boolean fetch(ArtifactRef ref, Path file) throws IOException {
        return storeFor(ref).fetch(ref, file);
    }

    @Override
    public void publish(ArtifactRef ref, Path file) throws IOException {
        storeFor(ref).publish(ref, file);
    }
}
