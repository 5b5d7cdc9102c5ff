package dev.orgmesh.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.orgmesh.cli.fly.FlyOptions;
import dev.orgmesh.cli.fly.FlyPlan;
import dev.orgmesh.cli.fly.FlyWriter;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.render.HubLayout;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh deploy fly ORG}: the Fly.io apps of an org, their {@code fly.toml} files, the hub and leaf configs,
 * the fly secrets files and the {@code fly} commands in order. The logic is {@link FlyPlan} and {@link FlyWriter}; this
 * class maps options to them and their result to output. Public so the {@code fly} package's tests can drive it.
 */
@Command(name = "deploy", description = "Deploy an org to a platform (today: Fly.io).", subcommands = {
        DeployCommand.Fly.class})
public final class DeployCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** {@code orgmesh deploy fly ORG [--app-prefix P] [--region R] [--out DIR] [--dry-run]}. */
    @Command(name = "fly", description = {
            "Render the Fly.io apps of an org: one fly.toml per app (hub, hub-bootstrap, heartbeat, vault-bridge,"
                    + " one per agent), the hub and leaf configs, fly secrets files (0600), and the fly commands"
                    + " in the order to run them. Prints no secret.",
            "Images are built by .github/workflows/native.yml from deploy/docker (see deploy/README.md)."})
    static final class Fly implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ORG", description = "The org file.")
        Path file;

        @Option(names = "--app-prefix", paramLabel = "P", description = "First part of every app name (default: the company id): P-nats-hub, P-<agent-id>, ...")
        String appPrefix;

        @Option(names = "--region", paramLabel = "R", defaultValue = "iad", description = "Fly region of the apps and the hub's volume (default ${DEFAULT-VALUE}).")
        String region;

        @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default deploy/fly/out/<company>); keys are kept across runs.")
        Path out;

        @Option(names = "--dry-run", description = "Print the plan, the fly.toml files and the commands; write nothing.")
        boolean dryRun;

        @Option(names = "--registry", paramLabel = "REG", defaultValue = "ghcr.io/orgmesh", description = "Where the images were pushed (default ${DEFAULT-VALUE}): REG/orgmesh-<target>:TAG.")
        String registry;

        @Option(names = "--tag", defaultValue = "main", description = "Image tag (default ${DEFAULT-VALUE}).")
        String tag;

        @Option(names = "--jvm", description = "Use the JVM fallback images (TAG-jvm: Temurin 25 with an AOT cache) instead of native.")
        boolean jvm;

        @Option(names = "--vault-store", paramLabel = "FILE", defaultValue = "${ORGMESH_VAULT_STORE:-orgmesh-vault.store}", description = "The vault-bridge's encrypted store, shipped to its app (default: $ORGMESH_VAULT_STORE or ${DEFAULT-VALUE}).")
        Path vaultStore;

        @Override
        public Integer call() {
            PrintWriter o = spec.commandLine().getOut();
            FlyPlan plan;
            try {
                FlyOptions options = new FlyOptions(appPrefix, region, out,
                        Path.of(System.getProperty("orgmesh.home", ".")),
                        registry, tag, jvm, vaultStore);
                plan = FlyPlan.of(file, options);
            } catch (OrgInvalidException e) {
                spec.commandLine().getErr().println(e.getMessage());
                spec.commandLine().getErr().println("nothing written");
                spec.commandLine().getErr().flush();
                return OrgmeshCommand.EXIT_INVALID;
            }
            if (dryRun) {
                printDryRun(o, plan);
            } else {
                List<Path> written = FlyWriter.write(plan);
                o.printf("rendered the hub, leaf configs and credentials into %s%n", plan.renderDir());
                o.printf("wrote %d files under %s; the fly.toml files:%n", written.size(), plan.out());
                plan.apps().forEach(a -> o.printf("  %-32s %s%n", a.name(), a.tomlFile()));
                notes(o, plan);
                o.println();
                o.print(plan.commandsText());
                o.printf("%n(also in %s) Keys, seeds and leaf passwords are only in 0600 files; nothing secret was"
                        + " printed.%n", plan.commandsFile());
            }
            o.flush();
            return 0;
        }

        private static void printDryRun(PrintWriter o, FlyPlan plan) {
            o.printf("dry run: nothing is written. %s on Fly.io: %d apps, hub %s, leaves dial %s%n%n",
                    plan.org().company(), plan.apps().size(), plan.hubApp(), plan.hubLeafUrl());
            Path r = plan.renderDir();
            o.printf("would render into %s (HubRenderer):%n", r);
            o.printf("  %s%n", HubLayout.hubConf(r));
            o.printf("  %s/<id>/leaf.conf, user.nk, leaf.env (0600), agent.json%n", r.resolve("agents"));
            o.printf("  %s/*.nk, *.env (0600)%n", HubLayout.servicesDir(r, plan.org().company()));
            o.printf("would copy the org into %s: %s%n", plan.orgCopyDir(),
                    String.join(", ", plan.orgFiles().values()));
            for (FlyPlan.App a : plan.apps()) {
                o.printf("%n--- %s ---%n", a.tomlFile());
                o.print(a.flyToml());
            }
            notes(o, plan);
            o.printf("%n--- %s ---%n", plan.commandsFile());
            o.print(plan.commandsText());
        }

        private static void notes(PrintWriter o, FlyPlan plan) {
            if (!plan.notes().isEmpty()) {
                o.println();
                plan.notes().forEach(n -> o.println("note: " + n));
            }
        }
    }
}
