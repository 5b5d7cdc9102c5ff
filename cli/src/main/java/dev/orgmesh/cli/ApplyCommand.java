package dev.orgmesh.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.nats.client.Connection;

import dev.orgmesh.assets.AssetChange;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.AssetPlan;
import dev.orgmesh.assets.OrgApplier;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh apply ORG}: creates or updates every JetStream asset of the org and stores the org on the hub.
 * Prints the plan first; a second run prints "no changes". Assets no longer in the org are only listed unless
 * {@code --prune} is given.
 */
@Command(name = "apply", description = "Create or update the org's JetStream assets on the hub (idempotent).")
final class ApplyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path file;

    @Mixin
    NatsOptions nats;

    @Option(names = "--prune", description = "Also delete consumers and streams the org no longer has.")
    boolean prune;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Option(names = "--replicas", defaultValue = "1", description = "Stream replicas: 1, or 3 on a hub cluster (default ${DEFAULT-VALUE}).")
    int replicas;

    @Override
    public Integer call() {
        Org org;
        String text;
        try {
            text = Files.readString(file);
            org = OrgLoader.parse(text, file.toString());
        } catch (OrgInvalidException e) {
            spec.commandLine().getErr().println(e.getMessage());
            spec.commandLine().getErr().println("nothing applied");
            return OrgmeshCommand.EXIT_INVALID;
        } catch (NoSuchFileException e) {
            throw new OrgmeshException(ErrorCode.CLI_FILE_NOT_FOUND, "org file not found: " + file);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.ORG_UNREADABLE, "cannot read " + file + ": " + e.getMessage(), e);
        }
        AssetLimits limits = AssetLimits.defaults().withReplicas(replicas);
        NatsSettings settings = nats.settings("orgmesh-apply");
        var out = spec.commandLine().getOut();
        try (Connection c = NatsConnector.connect(settings)) {
            OrgApplier applier = new OrgApplier(c, settings);
            AssetPlan plan = applier.plan(org, limits);
            out.print(plan.render());
            if (dryRun) {
                out.println("dry run: nothing changed");
                out.flush();
                return 0;
            }
            OrgApplier.Result r = applier.apply(org, text, limits, prune);
            long changed = r.plan().changes().stream().filter(ch -> ch.action() != AssetChange.Action.KEEP_EXTRA)
                    .count();
            if (changed > 0) {
                out.println("applied " + changed + (changed == 1 ? " change" : " changes"));
            }
            if (r.orgStored()) {
                out.println("org stored on the hub (" + org.subjects().orgBucket() + ")");
            }
            out.flush();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
