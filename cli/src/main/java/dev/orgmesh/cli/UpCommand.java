package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.orgmesh.cli.local.LocalOrg;
import dev.orgmesh.cli.local.LocalState;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh up ORG}: runs the whole org on this machine, in the background. */
@Command(name = "up", description = "Run the org on this machine (hub, leaves, services, agents) in the background.")
final class UpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path file;

    @Option(names = "--base-port", defaultValue = "14222", description = "First of the 127.0.0.1 ports used (hub client port; others follow), default ${DEFAULT-VALUE}.")
    int basePort;

    @Option(names = "--hub-nodes", defaultValue = "1", paramLabel = "N", description = "Hub servers: 1 (default), or N >= 3 for a JetStream cluster with streams at replicas 3 that goes on when a node stops.")
    int hubNodes;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        LocalOrg local = new LocalOrg(Path.of(System.getProperty("orgmesh.home", ".")), LocalState.root(),
                System.getenv(), line -> {
                    out.println("orgmesh: " + line);
                    out.flush();
                });
        LocalOrg.Started s = local.up(file, basePort, hubNodes);
        String f = file.toString();
        out.printf("%n%s is up: %d processes, state and logs in %s%n%n", s.org().company(), s.processes(),
                s.stateDir());
        out.printf("  operator NATS URL:  %s%n", s.operatorUrl());
        if (hubNodes > 1) {
            out.printf("  hub:                %d-node JetStream cluster, streams at replicas %d%n", hubNodes,
                    LocalOrg.CLUSTER_REPLICAS);
        }
        out.printf("  operator creds:     %s   (NKey seed; sees every subject of %s)%n", s.operatorCreds(),
                s.org().company());
        out.printf("  with the nats CLI:  nats --server %s --nkey %s sub '%s.>'%n%n", s.operatorUrl(),
                s.operatorCreds(), s.org().company());
        out.printf("  console: %s   (org chart, live feed, approvals, budgets, dead letters)%n%n", s.consoleUrl());
        out.printf("  watch:   ./orgmesh tail %s%n", f);
        out.printf(
                "  talk:    ./orgmesh send %s --from board --to cto-athena --type question --subject \"How is it going?\"%n",
                f);
        out.printf("  demo:    ./orgmesh demo %s        (the seed's walkthrough)%n", f);
        out.printf("  status:  ./orgmesh status %s%n", f);
        out.printf("  logs:    %s%n", s.logs());
        out.printf("  stop:    ./orgmesh down %s%n", f);
        out.flush();
        return 0;
    }
}
