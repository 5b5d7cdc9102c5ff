package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.nats.client.Connection;

import dev.orgmesh.cli.ops.AuditOps;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh audit ORG --thread ID}: one piece of work across every agent, in order, from the audit stream. */
@Command(name = "audit", description = "Show one thread of work across every agent, in order, from the audit stream.")
final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path orgFile;

    @Option(names = "--thread", required = true, description = "The thread id (the id of its first message).")
    String thread;

    @Option(names = "--limit", defaultValue = "100000", description = "How many of the newest audit entries to search.")
    int limit;

    @Mixin
    NatsOptions nats;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(orgFile);
        NatsSettings settings = nats.settings("orgmesh-audit", org);
        var out = spec.commandLine().getOut();
        try (Connection c = NatsConnector.connect(settings)) {
            var entries = AuditOps.thread(c.jetStreamManagement(NatsConnector.jetStreamOptions(settings)),
                    org.subjects(), thread, limit);
            for (AuditOps.Entry e : entries) {
                String trace = e.stored().getHeaders() == null
                        ? null
                        : e.stored().getHeaders().getFirst(dev.orgmesh.protocol.Headers.TRACEPARENT);
                out.printf("%s  %-28s %s → %s [%s%s] %s%s%n", e.firstStored(), e.stored().getSubject(),
                        e.envelope().from(), e.envelope().to(), e.envelope().type(),
                        e.envelope().status() == null ? "" : "/" + e.envelope().status(),
                        e.envelope().subject() == null ? "" : e.envelope().subject(),
                        trace == null ? "" : "  trace " + trace);
            }
            out.printf("%d messages in thread %s%n", entries.size(), thread);
            out.flush();
        }
        return 0;
    }
}
