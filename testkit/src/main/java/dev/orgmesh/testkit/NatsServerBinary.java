package dev.orgmesh.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Finds the {@code nats-server} executable the testkit launches.
 *
 * <p>
 * Tests must run against a real server, so a missing binary is a setup problem, not a test failure: the error
 * says exactly how to install one. Lookup order: the {@value #ENV_VAR} environment variable (a path; if set it
 * must be right, there is no silent fallback), then {@code PATH}, then {@code /usr/sbin/nats-server} and
 * {@code /usr/local/bin/nats-server}.
 */
public final class NatsServerBinary {

    /** Environment variable naming the {@code nats-server} executable to use. */
    public static final String ENV_VAR = "ORGMESH_NATS_SERVER";

    static final String EXECUTABLE = "nats-server";
    static final List<Path> FALLBACKS = List.of(Path.of("/usr/sbin/nats-server"),
            Path.of("/usr/local/bin/nats-server"));

    private static final String HOW_TO_INSTALL = "Install it with 'apt-get install -y nats-server' (Debian/Ubuntu), "
            + "or download a release from https://github.com/nats-io/nats-server/releases and put it on PATH, "
            + "or set " + ENV_VAR + " to the path of the nats-server executable.";

    private NatsServerBinary() {
    }

    /**
     * The executable for this JVM's environment, looked up once.
     *
     * @throws IllegalStateException if none is found; the message says how to install one
     */
    public static Path path() {
        return Cached.PATH;
    }

    /** Lookup against an explicit environment, {@code PATH} value and fallback list, so it can be tested. */
    static Path locate(Map<String, String> env, String pathVariable, List<Path> fallbacks) {
        String configured = env.get(ENV_VAR);
        if (configured != null && !configured.isBlank()) {
            Path candidate = toPath(configured.strip());
            if (candidate != null && isExecutable(candidate)) {
                return candidate;
            }
            throw new IllegalStateException(
                    ENV_VAR + "=" + configured + " does not name an executable nats-server. " + HOW_TO_INSTALL);
        }
        if (pathVariable != null) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                if (dir.isBlank()) {
                    continue;
                }
                Path dirPath = toPath(dir);
                if (dirPath != null && isExecutable(dirPath.resolve(EXECUTABLE))) {
                    return dirPath.resolve(EXECUTABLE);
                }
            }
        }
        for (Path fallback : fallbacks) {
            if (isExecutable(fallback)) {
                return fallback;
            }
        }
        throw new IllegalStateException("nats-server was not found (checked " + ENV_VAR + ", PATH and " + fallbacks
                + "). The orgmesh tests need a real nats-server. " + HOW_TO_INSTALL);
    }

    private static Path toPath(String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static boolean isExecutable(Path candidate) {
        return Files.isRegularFile(candidate) && Files.isExecutable(candidate);
    }

    /** Holder so a failed lookup is reported on use, not on class initialisation of the callers. */
    private static final class Cached {
        static final Path PATH = locate(System.getenv(), System.getenv("PATH"), FALLBACKS);
    }
}
