package dev.orgmesh.protocol;

/**
 * An error with a catalogue code: what went wrong in general ({@link ErrorCode}) and in this occurrence (the
 * message). Thrown by plain classes; entry points map it to a reply, a dead letter or an exit status.
 */
public class OrgmeshException extends RuntimeException {
    private final ErrorCode code;

    public OrgmeshException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public OrgmeshException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The catalogue entry. */
    public ErrorCode code() {
        return code;
    }

    /** The small JSON-ready body used in error replies. */
    public ErrorBody toBody() {
        return ErrorBody.of(code, getMessage());
    }

    @Override
    public String toString() {
        return code.label() + " " + code.name() + ": " + getMessage();
    }
}
