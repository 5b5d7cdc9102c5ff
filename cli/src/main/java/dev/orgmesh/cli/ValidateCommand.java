package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh validate FILE}: a one-line summary, or every problem with its path and a hint. */
@Command(name = "validate", description = "Check an org file and list every problem at once.")
final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The org file (YAML or JSON).")
    Path file;

    @Override
    public Integer call() {
        try {
            Org org = OrgLoader.load(file);
            spec.commandLine().getOut().printf("%s: valid — company %s, %d teams, %d humans, %d agents, %d roles%n",
                    file, org.company(), org.teams().size(), org.humans().size(), org.agents().size(),
                    org.roles().size());
            return 0;
        } catch (OrgInvalidException e) {
            var err = spec.commandLine().getErr();
            err.printf("%s: %d %s%n", file, e.problems().size(), e.problems().size() == 1 ? "problem" : "problems");
            e.problems().forEach(p -> err.println("  " + p));
            err.flush();
            return OrgmeshCommand.EXIT_INVALID;
        }
    }
}
