package dev.orgmesh.testkit;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.nats.NatsServerInstall;
import dev.orgmesh.protocol.nats.NatsServerLocator;

/**
 * The {@code nats-server} executable the testkit launches: the one {@link NatsServerLocator} finds for this JVM's
 * environment ({@code ORGMESH_NATS_SERVER}, {@code PATH}, orgmesh's cache), which must be {@code NatsRelease.MINIMUM}
 * or newer. {@code .ci/run} puts the pinned release first on {@code PATH}; when a build runs without one, the pinned
 * release is installed into the cache first, as {@code orgmesh up} does ({@link NatsServerInstall}), so the README's
 * test command works on a fresh machine. A server that cannot be had fails the test that needs it with
 * {@code OM-2006} / {@code OM-2007} and the way to get one; no test is ever skipped for it.
 */
public final class NatsServerBinary {
    private static final System.Logger LOG = System.getLogger(NatsServerBinary.class.getName());

    private NatsServerBinary() {
    }

    /**
     * The executable for this JVM's environment, looked up once.
     *
     * @throws OrgmeshException if none is found or it is too old
     */
    public static Path path() {
        return Cached.FOUND.path();
    }

    /** Which release the tests run on. */
    public static String version() {
        return Cached.FOUND.version().toString();
    }

    /** Holder so a failed lookup is reported on use, not on class initialisation of the callers. */
    private static final class Cached {
        static final NatsServerLocator.Found FOUND = find();

        private static NatsServerLocator.Found find() {
            Map<String, String> env = System.getenv();
            Path home = checkout(Path.of(System.getProperty("user.dir")).toAbsolutePath());
            if (home == null) {
                return NatsServerLocator.locate(env);
            }
            Path server = NatsServerInstall.find(home, env, line -> LOG.log(Level.INFO, line));
            return NatsServerLocator.check(server, env);
        }

    }

    /** The orgmesh checkout this build runs in: the nearest directory up with {@code deploy/nats/install}. */
    static Path checkout(Path dir) {
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("deploy").resolve("nats").resolve("install"))) {
                return d;
            }
        }
        return null;
    }
}
