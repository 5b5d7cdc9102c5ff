package dev.orgmesh.hub.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.service.OrgSource;

/** Settings of the hub-bootstrap service ({@code orgmesh.bootstrap.*}). */
@ConfigMapping(prefix = "orgmesh.bootstrap")
public interface BootstrapConfig extends OrgSource {
    /**
     * The org file to apply at start. When absent, the org already stored in the org bucket is used (then
     * {@code company} must say which).
     */
    @Override
    Optional<Path> orgFile();

    /** The company whose stored org to serve when no file is given. */
    @Override
    Optional<String> company();

    /** JetStream replicas of streams and buckets: 1 on a single hub, 3 on a hub cluster. */
    @WithDefault("1")
    int replicas();

    /** Apply and exit (status 0 on success, 1 on failure) instead of serving: the Fly release command mode. */
    @WithDefault("false")
    boolean releaseOnly();

    /** How long to wait for NATS at start before giving up in release-only mode. */
    @WithDefault("60s")
    Duration connectGrace();
}
