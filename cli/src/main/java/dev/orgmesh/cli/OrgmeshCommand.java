package dev.orgmesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code orgmesh}: the single command operators meet. Each verb is a thin subcommand that calls one plain class and
 * maps its result or error to output and an exit status (0 success, 1 the input is wrong, 2 usage error).
 */
// @formatter:off
@Command(name = "orgmesh", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        version = "orgmesh 0.1.0-SNAPSHOT",
        description = "Run AI organizations on NATS.",
        subcommands = {
            ValidateCommand.class,
            ChartCommand.class,
            RenderCommand.class,
            ApplyCommand.class,
            StatusCommand.class,
            SendCommand.class,
            TailCommand.class,
            UpCommand.class,
            DownCommand.class,
            DemoCommand.class,
            SecretsCommand.class,
            DlqCommand.class,
            ApprovalCommands.List.class,
            ApprovalCommands.Approve.class,
            ApprovalCommands.Deny.class,
            BudgetCommand.class,
            AuditCommand.class,
            DeployCommand.class,
            CommandLine.HelpCommand.class })
// @formatter:on
public final class OrgmeshCommand {

    /** Exit status when the input (an org file, a message) is wrong. */
    public static final int EXIT_INVALID = 1;

    /** The command line with orgmesh's error handling, for {@link #main} and tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new OrgmeshCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl;
    }

    public static void main(String[] args) {
        // Before anything logs: route java.util.logging through JBoss LogManager, configured by logging.properties.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        System.exit(commandLine().execute(args));
    }
}
