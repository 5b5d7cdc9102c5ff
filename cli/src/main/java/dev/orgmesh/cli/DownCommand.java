package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.orgmesh.cli.local.LocalOrg;
import dev.orgmesh.cli.local.LocalState;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh down ORG}: stops everything {@code up} started for the org, and nothing else. */
@Command(name = "down", description = "Stop the org started here by 'orgmesh up'.")
final class DownCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        List<String> stopped = new LocalOrg(Path.of(System.getProperty("orgmesh.home", ".")), LocalState.root(),
                System.getenv(), l -> {
                }).down(file);
        spec.commandLine().getOut().println(stopped.isEmpty()
                ? "nothing was running"
                : "stopped " + stopped.size()
                        + " processes: " + String.join(", ", stopped));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
