package dev.orgmesh.cli;

import java.nio.file.Path;

import dev.orgmesh.cli.local.LocalState;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.org.Org;

import picocli.CommandLine.Option;

/** The NATS connection options every networked verb shares. */
final class NatsOptions {
    // @formatter:off
    @Option(names = { "-s", "--server" }, paramLabel = "URL", defaultValue = "${ORGMESH_NATS_URL}",
            description = "NATS server URL (default: $ORGMESH_NATS_URL, else the org started here by 'orgmesh up', "
                    + "else nats://127.0.0.1:4222).")
    // @formatter:on
    String server;

    @Option(names = "--creds", paramLabel = "FILE", defaultValue = "${ORGMESH_NATS_CREDS}", description = "Credentials file (NKey seed or JWT creds); default $ORGMESH_NATS_CREDS.")
    Path creds;

    @Option(names = "--domain", paramLabel = "DOMAIN", defaultValue = "${ORGMESH_JS_DOMAIN}", description = "JetStream domain, e.g. 'hub' when connected through a leaf.")
    String domain;

    NatsSettings settings(String name) {
        return NatsSettings.of(server != null ? server : "nats://127.0.0.1:4222").withCreds(creds).withDomain(domain)
                .withName(name);
    }

    /**
     * The settings for {@code org}: the flags when given, else the operator connection of the org started here by
     * {@code orgmesh up} (recorded in its state directory), else the defaults.
     */
    NatsSettings settings(String name, Org org) {
        if (server == null) {
            var local = LocalState.read(LocalState.root(), org.company());
            if (local.isPresent()) {
                return NatsSettings.of(local.get().url()).withCreds(creds != null ? creds : local.get().creds())
                        .withDomain(domain).withName(name);
            }
        }
        return settings(name);
    }
}
