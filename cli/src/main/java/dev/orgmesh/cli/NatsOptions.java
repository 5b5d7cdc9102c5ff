package dev.orgmesh.cli;

import java.nio.file.Path;

import dev.orgmesh.messaging.NatsSettings;

import picocli.CommandLine.Option;

/** The NATS connection options every networked verb shares. */
final class NatsOptions {
    @Option(names = {"-s",
            "--server"}, paramLabel = "URL", defaultValue = "${ORGMESH_NATS_URL:-nats://127.0.0.1:4222}", description = "NATS server URL (default: $ORGMESH_NATS_URL or ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--creds", paramLabel = "FILE", defaultValue = "${ORGMESH_NATS_CREDS}", description = "Credentials file (NKey seed or JWT creds); default $ORGMESH_NATS_CREDS.")
    Path creds;

    @Option(names = "--domain", paramLabel = "DOMAIN", defaultValue = "${ORGMESH_JS_DOMAIN}", description = "JetStream domain, e.g. 'hub' when connected through a leaf.")
    String domain;

    NatsSettings settings(String name) {
        return NatsSettings.of(server).withCreds(creds).withDomain(domain).withName(name);
    }
}
