package dev.orgmesh.testkit;

import java.nio.file.Path;

import dev.orgmesh.protocol.ErrorCode;

/**
 * A {@code nats-server} did not become ready: it exited, or did not accept clients (and report healthy) in time.
 *
 * <p>
 * Carries the log tail so the cause (bad config, port taken, JetStream store problem) is in the test report
 * without opening files, and {@link #isPortConflict()} so the testkit can retry with fresh ports.
 */
public final class NatsServerStartException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path logFile;
    private final String logTail;
    private final boolean portConflict;

    NatsServerStartException(String message, Path logFile, String logTail) {
        super(ErrorCode.NATS_SERVER_START_FAILED.label() + " " + message + "\n--- last lines of " + logFile + " ---\n"
                + logTail);
        this.logFile = logFile;
        this.logTail = logTail;
        this.portConflict = logTail.contains("address already in use");
    }

    /** The server's log file (may already be deleted if the server was closed). */
    public Path logFile() {
        return logFile;
    }

    /** The last lines of the server log at the time of failure. */
    public String logTail() {
        return logTail;
    }

    /** Whether the server failed because one of its ports was taken. */
    public boolean isPortConflict() {
        return portConflict;
    }
}
