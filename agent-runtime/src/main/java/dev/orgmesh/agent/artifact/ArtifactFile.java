package dev.orgmesh.agent.artifact;

import java.nio.file.Path;

/**
 * One artifact a message referenced, as the brain sees it.
 *
 * @param ref the reference as written in the message
 * @param path the local copy in the workspace; {@code null} when it could not be fetched
 * @param problem why it could not be fetched (not found, not a reference); {@code null} when it was
 */
public record ArtifactFile(String ref, Path path, String problem) {
    /** Whether the local copy exists. */
    public boolean present() {
        return path != null;
    }
}
