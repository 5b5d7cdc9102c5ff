package dev.orgmesh.agent.artifact;

import java.io.IOException;

/**
 * A store refused or failed an artifact operation, with what the store said. {@link #retryable()} tells the
 * {@code ArtifactStage} (brain) whether trying again later may help (unreachable, 5xx, throttled) or not (credentials
 * missing or refused, too large, a malformed request): the first is redelivered later, the second fails the message
 * and the manager is told the reason.
 */
public final class ArtifactException extends IOException {
    private final String operation;
    private final ArtifactRef ref;
    private final int status;
    private final String storeCode;
    private final boolean retryable;

    /**
     * @param operation what was tried: {@code GET}, {@code PUT}
     * @param status the HTTP status; 0 when there was no answer
     * @param storeCode the store's error code ({@code AccessDenied}, {@code SignatureDoesNotMatch}, …), or
     *        {@code null}
     */
    public ArtifactException(String operation, ArtifactRef ref, int status, String storeCode, boolean retryable,
            String message, Throwable cause) {
        super(message, cause);
        this.operation = operation;
        this.ref = ref;
        this.status = status;
        this.storeCode = storeCode;
        this.retryable = retryable;
    }

    /** {@code GET} or {@code PUT}. */
    public String operation() {
        return operation;
    }

    /** The artifact. */
    public ArtifactRef ref() {
        return ref;
    }

    /** The HTTP status; 0 when the store did not answer. */
    public int status() {
        return status;
    }

    /** The store's error code ({@code NoSuchKey}, {@code AccessDenied}, …), or {@code null}. */
    public String storeCode() {
        return storeCode;
    }

    /** Whether trying again later may succeed. */
    public boolean retryable() {
        return retryable;
    }

    /** Whether the store refused the credentials (missing, unknown, wrong or without the permission). */
    public boolean isPermissionDenied() {
        return status == 401 || status == 403 || "MissingCredentials".equals(storeCode);
    }
}
