package dev.orgmesh.console.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.service.OrgSource;

/** Settings of the console ({@code orgmesh.console.*}). */
@ConfigMapping(prefix = "orgmesh.console")
public interface ConsoleConfig extends OrgSource {
    /** The org file to show. When absent, the org stored on the hub for {@code company} is shown and followed. */
    @Override
    Optional<Path> orgFile();

    /** The company whose stored org to follow when no file is given. */
    @Override
    Optional<String> company();

    /**
     * The human who decides through this console: the {@code by} of every approve and deny. Default: the first human
     * of the org.
     */
    Optional<String> human();

    /** How many feed messages the console keeps for a page that connects (the newest; older ones are dropped). */
    @WithDefault("500")
    int feedSize();

    /** How long an approve or deny request waits for the approval desk's reply. */
    @WithDefault("5s")
    Duration requestTimeout();

    /** How many of the newest dead letters the dead-letter table shows. */
    @WithDefault("100")
    int deadLetterLimit();

    /**
     * The login token ({@code ORGMESH_CONSOLE_TOKEN}); {@code orgmesh up} makes one and prints the console's URL with
     * it. Without one nobody can log in. Never logged.
     */
    Optional<String> token();

    /**
     * Names besides 127.0.0.1, localhost and [::1] (on the console's port) that a request may give in {@code Host},
     * as {@code host:port}; for a console put behind a proxy on purpose.
     */
    Optional<List<String>> allowedHosts();
}
