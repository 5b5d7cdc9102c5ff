package dev.orgmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One real {@code nats-server} process on 127.0.0.1, for tests.
 *
 * <p>
 * orgmesh tests run against a real server, never a mock, so this class makes that cheap and safe: random ports,
 * a private temp dir (config, JetStream store, log file with the server's stdout and stderr), a bounded wait until
 * the server accepts clients and reports healthy, and fault injection ({@link #kill()}, {@link #restart()} on the
 * same ports and store). {@link #close()} stops the server and deletes its temp dir; a JVM shutdown hook kills
 * whatever is still running.
 *
 * <p>
 * Start one with {@link #jetStream()}, or from a config file rendered elsewhere with {@link #start(Path, int)} /
 * {@link #fromConfigFile(Path)}. Topologies: {@link HubTopology}, {@link NatsCluster}.
 */
public final class NatsServer implements AutoCloseable {

    /** How long {@link #jetStream()}, {@link #restart()} and friends wait for a server to become ready. */
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(15);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final int CONNECT_TIMEOUT_MILLIS = 250;
    private static final int LOG_TAIL_LINES = 40;
    private static final int START_ATTEMPTS = 3;

    private final String name;
    private final Path binary;
    private final Path workDir;
    private final Path configFile;
    private final Path logFile;
    private final Path storeDir;
    private final int port;
    private final int monitorPort;
    private final int leafnodePort;
    private final Duration readyTimeout;

    private volatile Process process;
    private boolean closed;

    private NatsServer(String name, Path workDir, Path configFile, Path storeDir, int port, int monitorPort,
            int leafnodePort, Duration readyTimeout) {
        this.name = name;
        this.binary = NatsServerBinary.path();
        this.workDir = workDir;
        this.configFile = configFile;
        this.logFile = workDir.resolve("nats-server.log");
        this.storeDir = storeDir;
        this.port = port;
        this.monitorPort = monitorPort;
        this.leafnodePort = leafnodePort;
        this.readyTimeout = readyTimeout;
    }

    /** Starts a single server with JetStream (file store in its temp dir) on random ports and waits until ready. */
    public static NatsServer jetStream() {
        return startGenerated(() -> ServerConfig.standalone("orgmesh-js").withJetStream(null));
    }

    /**
     * Starts a server from a config file rendered by the caller, who chose its client port, and waits until that
     * port accepts connections.
     */
    public static NatsServer start(Path configFile, int clientPort) {
        return fromConfigFile(configFile).clientPort(clientPort).start();
    }

    /**
     * Starts a server from a config file rendered by the caller and waits until the client port accepts
     * connections and {@code /healthz} on the monitoring port answers 200 (which includes JetStream readiness).
     */
    public static NatsServer start(Path configFile, int clientPort, int monitorPort) {
        return fromConfigFile(configFile).clientPort(clientPort).monitorPort(monitorPort).start();
    }

    /** A builder for a server started from a caller's config file, when more than the client port is known. */
    public static FromConfigFile fromConfigFile(Path configFile) {
        return new FromConfigFile(configFile);
    }

    /** Creates, launches and awaits a generated server, retrying with fresh ports if one was taken meanwhile. */
    static NatsServer startGenerated(Supplier<ServerConfig> config) {
        for (int attempt = 1;; attempt++) {
            NatsServer server = create(config.get());
            try {
                server.launch();
                server.awaitReady();
                return server;
            } catch (NatsServerStartException e) {
                server.close();
                if (!e.isPortConflict() || attempt == START_ATTEMPTS) {
                    throw e;
                }
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }

    /** Writes the config of a generated server into a fresh temp dir; does not launch it. */
    static NatsServer create(ServerConfig config) {
        NatsServerBinary.path();
        Path workDir = newWorkDir();
        try {
            Path storeDir = workDir.resolve("store");
            Path configFile = workDir.resolve("nats-server.conf");
            Files.writeString(configFile, config.render(storeDir));
            return new NatsServer(config.serverName(), workDir, configFile, storeDir, config.port(),
                    config.monitorPort(), config.leafnodePort(), DEFAULT_READY_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            ProcessReaper.delete(workDir);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot write nats-server config in " + workDir, io);
            }
            throw (RuntimeException) e;
        }
    }

    private static Path newWorkDir() {
        try {
            Path dir = Files.createTempDirectory("orgmesh-nats-");
            ProcessReaper.track(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp dir for nats-server", e);
        }
    }

    /** Launches the process without waiting; see {@link #awaitReady()}. */
    synchronized void launch() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (isRunning()) {
            throw new IllegalStateException(this + " is already running");
        }
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "-c", configFile.toString())
                .directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        try {
            Process started = builder.start();
            ProcessReaper.track(started);
            process = started;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch " + binary + " -c " + configFile, e);
        }
    }

    /**
     * Waits until the client port accepts a TCP connection and, when a monitoring port is known, {@code /healthz}
     * answers 200. Throws {@link NatsServerStartException} with the log tail if the process exits or the timeout
     * passes (the process is then killed).
     */
    void awaitReady() {
        Process current = process;
        if (current == null) {
            throw new IllegalStateException(this + " was not launched");
        }
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (true) {
            if (!current.isAlive()) {
                throw new NatsServerStartException(
                        this + " exited with code " + current.exitValue() + " before it was ready", logFile,
                        logTail(LOG_TAIL_LINES));
            }
            if (acceptsClients() && (monitorPort <= 0 || Monitoring.healthy(monitorPort))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new NatsServerStartException(this + " was not ready within " + readyTimeout, logFile,
                        logTail(LOG_TAIL_LINES));
            }
            pauseUnlessExited(current, POLL_INTERVAL);
        }
    }

    private boolean acceptsClients() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(FreePorts.loopback(), port), CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits up to {@code pause}, returning early if the process exits: polling without a blind sleep. */
    static void pauseUnlessExited(Process process, Duration pause) {
        try {
            process.onExit().get(pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the normal case: still running, poll again
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for nats-server", e);
        }
    }

    /** {@code nats://127.0.0.1:<port>}, for {@code Options.builder().server(..)}. */
    public String clientUrl() {
        return "nats://" + ServerConfig.hostPort(port);
    }

    /** The client port. */
    public int port() {
        return port;
    }

    /**
     * The port leaf nodes connect to.
     *
     * @throws IllegalStateException if this server has no leafnode listener (or the caller's config did not say)
     */
    public int leafnodePort() {
        if (leafnodePort <= 0) {
            throw new IllegalStateException(this + " has no leafnode listener configured");
        }
        return leafnodePort;
    }

    /** {@code nats-leaf://127.0.0.1:<leafnodePort>}, for a leaf's {@code remotes}. */
    public String leafnodeUrl() {
        return "nats-leaf://" + ServerConfig.hostPort(leafnodePort());
    }

    /**
     * The HTTP monitoring port ({@code /varz}, {@code /jsz}, {@code /healthz}).
     *
     * @throws IllegalStateException if the caller's config file did not say which port it is
     */
    public int monitorPort() {
        if (monitorPort <= 0) {
            throw new IllegalStateException(this + " has no monitoring port configured");
        }
        return monitorPort;
    }

    /**
     * The JetStream store dir (inside the temp dir for generated servers).
     *
     * @throws IllegalStateException if the server was started from a config file and the caller did not declare
     *         it
     */
    public Path storeDir() {
        if (storeDir == null) {
            throw new IllegalStateException(this + " was started from " + configFile
                    + " without a declared store dir; use fromConfigFile(..).storeDir(..)");
        }
        return storeDir;
    }

    /** The file receiving the server's stdout and stderr, appended across restarts. */
    public Path logFile() {
        return logFile;
    }

    /** The config file the server runs with. */
    public Path configFile() {
        return configFile;
    }

    /**
     * The server's private temp dir: its working directory (relative paths in a config resolve here), log file
     * and, for generated servers, config and store. Deleted by {@link #close()}.
     */
    public Path workDir() {
        return workDir;
    }

    /** The server name from the generated config, or the config file name. */
    public String name() {
        return name;
    }

    /** The last {@code lines} lines of the server log, for failure messages. */
    public String logTail(int lines) {
        try {
            if (!Files.exists(logFile)) {
                return "(no log yet)";
            }
            List<String> all = Arrays.asList(
                    new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).split("\\R"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    /** Whether the process is alive. */
    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /** Graceful stop: SIGTERM, then waits for exit (and kills it if it takes longer than 10 s). */
    public synchronized void stop() {
        Process current = process;
        if (current == null) {
            return;
        }
        current.destroy();
        if (!waitForExit(current, STOP_TIMEOUT)) {
            current.destroyForcibly();
            waitForExit(current, STOP_TIMEOUT);
        }
        ProcessReaper.untrack(current);
    }

    /** Crash: SIGKILL, no shutdown work, as a fault test needs; waits for the process to be gone. */
    public synchronized void kill() {
        Process current = process;
        if (current == null) {
            return;
        }
        current.destroyForcibly();
        waitForExit(current, STOP_TIMEOUT);
        ProcessReaper.untrack(current);
    }

    /**
     * Stops the server if it runs, then starts it again with the same config, ports and store dir, and waits until
     * it is ready. A cluster node only becomes ready once it sees a JetStream meta leader, so restart nodes one at a
     * time (or use {@link NatsCluster#restart()}).
     */
    public synchronized void restart() {
        stop();
        launch();
        awaitReady();
    }

    /**
     * Starts the server again after {@link #kill()} or {@link #stop()} (stopping it first if it still runs) on the
     * same config, ports and store, and waits only until its client port accepts connections, not for
     * {@code /healthz}: a cluster node that comes back under load can take a long time to report every stream and
     * consumer current, and a fault test wants its traffic to find the node as soon as it listens.
     */
    public synchronized void restartAcceptingClients() {
        stop();
        launch();
        awaitAcceptingClients();
    }

    /** Waits until the client port accepts a TCP connection; throws with the log tail if the process exits first. */
    void awaitAcceptingClients() {
        Process current = process;
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (!acceptsClients()) {
            if (!current.isAlive() || System.nanoTime() > deadline) {
                throw new NatsServerStartException(this + " did not accept clients within " + readyTimeout, logFile,
                        logTail(LOG_TAIL_LINES));
            }
            pauseUnlessExited(current, POLL_INTERVAL);
        }
    }

    /** Stops the server and deletes its temp dir. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            stop();
        } finally {
            closed = true;
            ProcessReaper.delete(workDir);
        }
    }

    private static boolean waitForExit(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    @Override
    public String toString() {
        return "nats-server[" + name + " " + clientUrl() + "]";
    }

    /**
     * Starts a server from a config file another module rendered (real hub or leaf configs). The caller chose the
     * ports, so it tells the testkit which to wait on and report.
     */
    public static final class FromConfigFile {

        private final Path configFile;
        private int clientPort;
        private int monitorPort;
        private int leafnodePort;
        private Path storeDir;
        private Duration readyTimeout = DEFAULT_READY_TIMEOUT;

        private FromConfigFile(Path configFile) {
            this.configFile = Objects.requireNonNull(configFile, "configFile").toAbsolutePath();
        }

        /** The client port in the config; required, the server is ready once it accepts connections. */
        public FromConfigFile clientPort(int port) {
            this.clientPort = port;
            return this;
        }

        /** The {@code http} monitoring port in the config; if given, readiness also waits for {@code /healthz}. */
        public FromConfigFile monitorPort(int port) {
            this.monitorPort = port;
            return this;
        }

        /** The {@code leafnodes.listen} port in the config, reported by {@link NatsServer#leafnodePort()}. */
        public FromConfigFile leafnodePort(int port) {
            this.leafnodePort = port;
            return this;
        }

        /** The JetStream store dir in the config, reported by {@link NatsServer#storeDir()}. */
        public FromConfigFile storeDir(Path dir) {
            this.storeDir = dir;
            return this;
        }

        /** How long to wait for readiness; default {@link NatsServer#DEFAULT_READY_TIMEOUT}. */
        public FromConfigFile readyTimeout(Duration timeout) {
            this.readyTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Launches the server and waits until it is ready; closes it again if it is not. */
        public NatsServer start() {
            if (clientPort <= 0) {
                throw new IllegalArgumentException("clientPort is required to start from " + configFile);
            }
            if (!Files.isRegularFile(configFile)) {
                throw new IllegalArgumentException("no nats-server config at " + configFile);
            }
            NatsServerBinary.path();
            NatsServer server = new NatsServer(configFile.getFileName().toString(), newWorkDir(), configFile,
                    storeDir, clientPort, monitorPort, leafnodePort, readyTimeout);
            try {
                server.launch();
                server.awaitReady();
                return server;
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }
}
