package dev.orgmesh.protocol.nats;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Finds a {@code nats-server} that orgmesh may start, and refuses one that is too old. Every command that starts a
 * server (the testkit, {@code orgmesh up}, the agent's supervised leaf) goes through here, so they all look in the
 * same places in the same order and all refuse the same releases:
 * <ol>
 * <li>{@value #SERVER_ENV}, when set: it must name a suitable server; there is no fallback;</li>
 * <li>each directory of {@code PATH};</li>
 * <li>orgmesh's cache, where {@code deploy/nats/install} (and {@code orgmesh up}) put the pinned release:
 * {@code $ORGMESH_CACHE}, else {@code $XDG_CACHE_HOME/orgmesh}, else {@code ~/.cache/orgmesh};</li>
 * <li>{@code /usr/local/bin} and {@code /usr/sbin} (skipped when {@value #NO_DEFAULT_PATHS_ENV} is set).</li>
 * </ol>
 * The first executable whose {@code --version} is {@link NatsRelease#MINIMUM} or newer wins. When only older ones
 * are found the error ({@code OM-2007}) names the newest of them; when none is found, {@code OM-2006}.
 */
public final class NatsServerLocator {
    /** Names the nats-server executable to use; when set, nothing else is looked at. */
    public static final String SERVER_ENV = "ORGMESH_NATS_SERVER";
    /** orgmesh's cache directory (default {@code ~/.cache/orgmesh}). */
    public static final String CACHE_ENV = "ORGMESH_CACHE";
    /** When set, the fixed system locations are not looked at (tests use it to control what is found). */
    public static final String NO_DEFAULT_PATHS_ENV = "ORGMESH_NO_DEFAULT_PATHS";

    static final String EXECUTABLE = "nats-server";
    static final List<Path> SYSTEM_LOCATIONS = List.of(Path.of("/usr/local/bin/nats-server"),
            Path.of("/usr/sbin/nats-server"));
    private static final Map<Path, NatsVersion> VERSIONS = new ConcurrentHashMap<>();

    /** A server that may be started: where it is and which release it is. */
    public record Found(Path path, NatsVersion version) {
        @Override
        public String toString() {
            return "nats-server " + version + " at " + path;
        }
    }

    private NatsServerLocator() {
    }

    /** One line saying how to get a suitable server, for error messages. */
    public static String howToGetOne(Map<String, String> env) {
        return "get nats-server " + NatsRelease.PINNED + " with deploy/nats/install (go install"
                + " github.com/nats-io/nats-server/v2@v" + NatsRelease.PINNED + " into " + cachedServer(env).getParent()
                + "; `orgmesh up` does this by itself), or set " + SERVER_ENV + " to a nats-server "
                + NatsRelease.MINIMUM + " or newer";
    }

    /** orgmesh's cache directory for this environment. */
    public static Path cacheDir(Map<String, String> env) {
        String explicit = env.get(CACHE_ENV);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit.strip());
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg.strip(), "orgmesh");
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(home, ".cache", "orgmesh");
    }

    /** Where the pinned server lives in the cache ({@code <cache>/nats-server/v2.15.3/nats-server}). */
    public static Path cachedServer(Map<String, String> env) {
        return cacheDir(env).resolve("nats-server").resolve("v" + NatsRelease.PINNED).resolve(EXECUTABLE);
    }

    /** The server for this JVM's environment. */
    public static Found locate() {
        return locate(System.getenv());
    }

    /**
     * The server for {@code env} (its {@code PATH}, {@value #SERVER_ENV}, cache variables).
     *
     * @throws OrgmeshException {@code OM-2006} when none is found, {@code OM-2007} when only older ones are
     */
    public static Found locate(Map<String, String> env) {
        String configured = env.get(SERVER_ENV);
        if (configured != null && !configured.isBlank()) {
            Path candidate = toPath(configured.strip());
            if (candidate == null || !isExecutable(candidate)) {
                throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING,
                        SERVER_ENV + "=" + configured + " is not an executable file; " + howToGetOne(env));
            }
            return check(candidate, env);
        }
        List<Path> candidates = new ArrayList<>();
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path d = dir.isBlank() ? null : toPath(dir);
            if (d != null) {
                candidates.add(d.resolve(EXECUTABLE));
            }
        }
        candidates.add(cachedServer(env));
        if (!env.containsKey(NO_DEFAULT_PATHS_ENV)) {
            candidates.addAll(SYSTEM_LOCATIONS);
        }
        Found newestTooOld = null;
        for (Path candidate : candidates) {
            if (!isExecutable(candidate)) {
                continue;
            }
            NatsVersion v;
            try {
                v = versionOf(candidate);
            } catch (OrgmeshException notAServer) {
                continue;
            }
            if (v.atLeast(NatsRelease.MINIMUM)) {
                return new Found(candidate, v);
            }
            if (newestTooOld == null || v.compareTo(newestTooOld.version()) > 0) {
                newestTooOld = new Found(candidate, v);
            }
        }
        if (newestTooOld != null) {
            throw tooOld(newestTooOld, env);
        }
        throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, "no nats-server found (looked at " + SERVER_ENV
                + ", PATH, " + cachedServer(env)
                + (env.containsKey(NO_DEFAULT_PATHS_ENV) ? "" : ", " + SYSTEM_LOCATIONS)
                + "); " + howToGetOne(env));
    }

    /**
     * Checks one executable: it must be a nats-server of {@link NatsRelease#MINIMUM} or newer.
     *
     * @throws OrgmeshException {@code OM-2006} if it is not a nats-server, {@code OM-2007} if it is too old
     */
    public static Found check(Path binary, Map<String, String> env) {
        NatsVersion v = versionOf(binary);
        Found found = new Found(binary, v);
        if (!v.atLeast(NatsRelease.MINIMUM)) {
            throw tooOld(found, env);
        }
        return found;
    }

    /** Resolves a bare name ({@code nats-server}) on {@code PATH}; a path is returned as it is. */
    public static Path resolve(String nameOrPath, Map<String, String> env) {
        if (nameOrPath.contains(File.separator)) {
            return Path.of(nameOrPath);
        }
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path d = dir.isBlank() ? null : toPath(dir);
            if (d != null && isExecutable(d.resolve(nameOrPath))) {
                return d.resolve(nameOrPath);
            }
        }
        throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING,
                "'" + nameOrPath + "' is not on PATH; " + howToGetOne(env));
    }

    /**
     * The release of the server at {@code binary}, from its {@code --version} (asked once per path and JVM).
     *
     * @throws OrgmeshException {@code OM-2006} when it does not run or does not print a nats-server version
     */
    public static NatsVersion versionOf(Path binary) {
        Path key = binary.toAbsolutePath().normalize();
        NatsVersion cached = VERSIONS.get(key);
        if (cached != null) {
            return cached;
        }
        String out = versionOutput(key);
        if (!out.startsWith("nats-server")) {
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING,
                    key + " is not a nats-server (its --version printed '" + firstLine(out) + "')");
        }
        NatsVersion v;
        try {
            v = NatsVersion.parse(out);
        } catch (IllegalArgumentException e) {
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING,
                    key + " printed no version number ('" + firstLine(out) + "')");
        }
        VERSIONS.put(key, v);
        return v;
    }

    /**
     * What {@code binary --version} prints (stdout and stderr), waiting at most 10 s: the output goes to a file, not a
     * pipe read to its end, so a binary that hangs cannot block past the timeout.
     *
     * @throws OrgmeshException {@code OM-2006} when it cannot be run or does not finish in time
     */
    public static String versionOutput(Path binary) {
        Path capture = null;
        try {
            capture = Files.createTempFile("orgmesh-version-", ".txt");
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true)
                    .redirectOutput(capture.toFile()).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, binary + " --version did not finish in 10 s");
            }
            return Files.readString(capture, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, "cannot run " + binary + ": " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, "interrupted asking " + binary + " its version");
        } finally {
            if (capture != null) {
                try {
                    Files.deleteIfExists(capture);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    private static OrgmeshException tooOld(Found found, Map<String, String> env) {
        return new OrgmeshException(ErrorCode.NATS_SERVER_TOO_OLD, "nats-server " + found.version() + " at "
                + found.path() + " is too old: orgmesh needs " + NatsRelease.MINIMUM + " or newer (it is tested on "
                + NatsRelease.PINNED + "); " + howToGetOne(env));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
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
}
