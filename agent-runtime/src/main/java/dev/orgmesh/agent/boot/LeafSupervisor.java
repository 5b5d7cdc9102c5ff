package dev.orgmesh.agent.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.nats.NatsServerLocator;

/**
 * Runs the agent's local leaf ({@code nats-server -c leaf.conf}) and restarts it when it dies (docs/architecture.md,
 * "Topology"; issue 4): the runtime keeps running meanwhile, its connection reconnects to the restarted leaf and its
 * outbox keeps what the agent sent, so a leaf crash loses nothing. Restarts back off ({@link Backoff}) so a leaf that
 * cannot start (a broken config, a taken port) is retried calmly and its last log lines say why. A leaf that stayed up
 * for a minute starts the backoff over.
 */
public final class LeafSupervisor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeafSupervisor.class);
    private static final Duration HEALTHY_AFTER = Duration.ofMinutes(1);
    /** The configured default: look the server up as every orgmesh command does. */
    static final String DEFAULT_BINARY = "nats-server";

    private final List<String> command;
    private final Path logFile;
    private final Backoff backoff;
    private final AtomicInteger restarts = new AtomicInteger();
    private volatile Process process;
    private volatile boolean running = true;
    private volatile String lastFailure;
    private volatile Thread watcher;

    /**
     * @param natsServer the {@code nats-server} binary: a path, or a name on {@code PATH}; the default name
     *        {@code nats-server} is looked up as every orgmesh command does ({@link NatsServerLocator}: also
     *        orgmesh's cache). It must be {@code NatsRelease.MINIMUM} or newer ({@code OM-2006}/{@code OM-2007}
     *        otherwise, before anything starts)
     * @param leafConf the leaf's config, as rendered by hub-bootstrap ({@code agents/<id>/leaf.conf})
     * @param logFile where the leaf's output goes (appended across restarts)
     */
    public LeafSupervisor(String natsServer, Path leafConf, Path logFile, Backoff backoff) {
        if (!Files.isRegularFile(leafConf)) {
            throw new OrgmeshException(ErrorCode.CLI_FILE_NOT_FOUND, "no leaf config at " + leafConf
                    + "; render it with `orgmesh render ORG` (agents/<id>/leaf.conf)");
        }
        Map<String, String> env = System.getenv();
        NatsServerLocator.Found server = DEFAULT_BINARY.equals(natsServer)
                ? NatsServerLocator.locate(env)
                : NatsServerLocator.check(NatsServerLocator.resolve(natsServer, env), env);
        LOG.infof("leaf runs %s", server);
        this.command = List.of(server.path().toString(), "-c", leafConf.toString());
        this.logFile = logFile;
        this.backoff = backoff;
    }

    /** Starts the leaf and the thread that restarts it; returns once the first process is launched. */
    public LeafSupervisor start() {
        launch();
        watcher = Thread.ofVirtual().name("leaf-supervisor").start(this::watch);
        return this;
    }

    private void launch() {
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            LOG.infof("leaf started: %s (pid %d), log %s", String.join(" ", command), process.pid(), logFile);
        } catch (IOException e) {
            process = null;
            lastFailure = "cannot run " + command.getFirst() + ": " + e.getMessage()
                    + " (install nats-server, or set orgmesh.agent.leaf.nats-server)";
            LOG.errorf("%s %s", ErrorCode.NATS_UNAVAILABLE.label(), lastFailure);
        }
    }

    private void watch() {
        int attempt = 0;
        while (running) {
            Process p = process;
            long started = System.nanoTime();
            if (p != null) {
                try {
                    int code = p.waitFor();
                    if (!running) {
                        return;
                    }
                    lastFailure = "leaf exited with code " + code + "; last lines: " + tail(5);
                    LOG.warnf("%s %s", ErrorCode.NATS_UNAVAILABLE.label(), lastFailure);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (Duration.ofNanos(System.nanoTime() - started).compareTo(HEALTHY_AFTER) > 0) {
                attempt = 0;
            }
            Duration pause = backoff.delay(++attempt);
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (running) {
                restarts.incrementAndGet();
                LOG.infof("restarting the leaf (restart %d, after %s)", restarts.get(), pause);
                launch();
            }
        }
    }

    /** The last lines of the leaf's log. */
    private String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join(" | ", new ArrayList<>(lines.subList(Math.max(0, lines.size() - n), lines.size())));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Whether a leaf process is alive right now. */
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The running leaf's pid, or -1. */
    public long pid() {
        Process p = process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    /** How many times the leaf was restarted. */
    public int restarts() {
        return restarts.get();
    }

    /** Why the leaf last stopped or failed to start, or null. */
    public String lastFailure() {
        return lastFailure;
    }

    /** Stops the leaf for good (graceful, then forced after 5 s). */
    @Override
    public void close() {
        running = false;
        Thread w = watcher;
        if (w != null) {
            w.interrupt();
        }
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
