package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgChart;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh chart FILE}: the reporting tree as text, or as Mermaid with {@code --format mermaid}. */
@Command(name = "chart", description = "Print the reporting tree of an org.")
final class ChartCommand implements Callable<Integer> {
    enum Format {
        text, mermaid
    }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The org file (YAML or JSON).")
    Path file;

    @Option(names = "--format", defaultValue = "text", description = "text (default) or mermaid.")
    Format format;

    @Override
    public Integer call() {
        Org org = OrgLoader.load(file);
        spec.commandLine().getOut().print(format == Format.mermaid ? OrgChart.mermaid(org) : OrgChart.text(org));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
