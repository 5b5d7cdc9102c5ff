package dev.orgmesh.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.nats.client.Connection;

import dev.orgmesh.cli.local.LocalProcesses;
import dev.orgmesh.cli.local.LocalState;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.ops.OrgStatus;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh status ORG}: every member, its presence, last heartbeat and next one. */
@Command(name = "status", description = "Show every member's presence, last heartbeat and next heartbeat.")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path file;

    @Mixin
    NatsOptions nats;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(file);
        NatsSettings settings = nats.settings("orgmesh-status", org);
        Instant now = Instant.now();
        List<OrgStatus.Row> rows;
        try (Connection c = NatsConnector.connect(settings)) {
            rows = OrgStatus.read(c, settings, org, now);
        }
        var out = spec.commandLine().getOut();
        String fmt = "%-22s %-14s %-9s %-14s %-16s %-16s%n";
        out.printf(fmt, "MEMBER", "ROLE", "PRESENCE", "LAST SEEN", "LAST HEARTBEAT", "NEXT HEARTBEAT");
        for (OrgStatus.Row r : rows) {
            String role = r.member() instanceof Agent a ? a.role() : "human";
            out.printf(fmt, r.member().id(), role, r.presence().name().toLowerCase(),
                    r.lastSeen().map(t -> OrgStatus.relative(t, now)).orElse("-"),
                    r.lastHeartbeat().map(t -> OrgStatus.relative(t, now)).orElse("-"),
                    r.nextHeartbeat().map(t -> OrgStatus.relative(t, now)).orElse("-"));
        }
        long up = rows.stream().filter(r -> r.presence() == Liveness.UP)
                .count();
        out.printf("%d of %d agents present%n", up, org.agents().size());
        hubNodes(org, out);
        out.flush();
        return 0;
    }

    /** For an org started here by {@code orgmesh up} with a clustered hub: each node and whether it runs. */
    private void hubNodes(Org org, PrintWriter out) {
        if (nats.server != null) {
            return;
        }
        Path stateDir = LocalState.root().resolve(org.company());
        LocalState.read(LocalState.root(), org.company()).filter(s -> s.hubNodes().size() > 1).ifPresent(s -> {
            Map<String, LocalProcesses.Entry> recorded = new LinkedHashMap<>();
            new LocalProcesses(stateDir).read().forEach(e -> recorded.put(e.name(), e));
            out.printf("hub: %d nodes%n", s.hubNodes().size());
            s.hubNodes().forEach((name, url) -> {
                LocalProcesses.Entry e = recorded.get(name);
                boolean running = e != null && LocalProcesses.live(e).isPresent();
                out.printf("  %-8s %-26s %s%n", name, url,
                        running ? "running (pid " + e.pid() + ")" : "not running");
            });
        });
    }
}
