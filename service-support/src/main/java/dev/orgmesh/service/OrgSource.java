package dev.orgmesh.service;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a service gets its org: a file, or the org stored on the hub for a company (followed live). A service's
 * {@code @ConfigMapping} extends this, so its {@code org-file} and {@code company} keys read the same everywhere.
 */
public interface OrgSource {
    /** The org file; when set, it wins over {@link #company()}. */
    Optional<Path> orgFile();

    /** The company whose org stored on the hub (key {@code org} of {@code OM_{CO}_ORG}) is followed. */
    Optional<String> company();

    /** Whether either is set. */
    default boolean named() {
        return orgFile().isPresent() || company().filter(c -> !c.isBlank()).isPresent();
    }
}
