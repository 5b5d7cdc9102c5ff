package dev.orgmesh.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.nats.NatsRelease;
import dev.orgmesh.protocol.nats.NatsServerInstall;
import dev.orgmesh.protocol.nats.NatsServerLocator;

/**
 * The real {@code nats} CLI at the pinned release ({@code NATS_CLI_VERSION} in {@code deploy/nats/versions.properties}),
 * for interop tests: what a NATS user types is what the test runs. Found on {@code PATH} (only at that release) or
 * in orgmesh's cache; when neither has it, {@code deploy/nats/install cli} builds it there first ({@code go install}).
 */
public final class NatsCli {
    private static final System.Logger LOG = System.getLogger(NatsCli.class.getName());
    /** What one run printed and how it ended. */
    public record Result(int exit, String output) {
    }

    private NatsCli() {
    }

    /** The executable. */
    public static Path path() {
        return Cached.PATH;
    }

    /**
     * Runs {@code nats ARGS} (no context file, no standard input) and waits up to 30 s.
     *
     * @throws IllegalStateException if it does not end in time
     */
    public static Result run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(path().toString());
        cmd.add("--no-context");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // No user context or config leaks in from the machine running the tests.
        pb.environment().put("XDG_CONFIG_HOME", System.getProperty("java.io.tmpdir"));
        try {
            // output to a file, not a pipe read to its end: a run that hangs cannot block past the timeout
            Path capture = Files.createTempFile("orgmesh-nats-cli-", ".txt");
            try {
                Process p = pb.redirectOutput(capture.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                        new File("/dev/null"))).start();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("nats " + String.join(" ", args) + " did not end in 30 s");
                }
                return new Result(p.exitValue(), Files.readString(capture, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(capture);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running nats", e);
        }
    }

    private static final class Cached {
        static final Path PATH = find();

        private static Path find() {
            Map<String, String> env = System.getenv();
            String want = "v" + NatsRelease.CLI;
            for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path candidate = dir.isBlank() ? null : Path.of(dir, "nats");
                if (candidate != null && Files.isExecutable(candidate) && want.equals(version(candidate))) {
                    return candidate;
                }
            }
            Path cached = NatsServerLocator.cacheDir(env).resolve("natscli").resolve(want).resolve("nats");
            if (Files.isExecutable(cached) && want.equals(version(cached))) {
                return cached;
            }
            Path home = NatsServerBinary.checkout(Path.of(System.getProperty("user.dir")).toAbsolutePath());
            if (home == null) {
                throw new IllegalStateException("the nats CLI " + want + " is not on PATH nor in " + cached
                        + "; run deploy/nats/install cli");
            }
            LOG.log(Level.INFO, "building the nats CLI " + want + " into " + cached
                    + " (deploy/nats/install)");
            return NatsServerInstall.runScript(home, "cli", env, line -> LOG.log(Level.INFO, line));
        }

        private static String version(Path nats) {
            try {
                return NatsServerLocator.versionOutput(nats);
            } catch (OrgmeshException e) {
                return "";
            }
        }
    }
}
