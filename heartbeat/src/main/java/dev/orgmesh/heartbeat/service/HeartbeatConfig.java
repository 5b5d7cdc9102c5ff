package dev.orgmesh.heartbeat.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.service.OrgSource;

/** Settings of the heartbeat service ({@code orgmesh.heartbeat.*}). */
@ConfigMapping(prefix = "orgmesh.heartbeat")
public interface HeartbeatConfig extends OrgSource {
    /** The org file to schedule. When absent, the org stored on the hub for {@code company} is used and followed. */
    @Override
    Optional<Path> orgFile();

    /** The company whose stored org to follow when no file is given. */
    @Override
    Optional<String> company();

    /** How often liveness is checked; an agent is reported down within three beacon intervals plus this. */
    @WithDefault("1s")
    Duration checkInterval();

}
