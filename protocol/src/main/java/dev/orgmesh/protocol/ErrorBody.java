package dev.orgmesh.protocol;

/**
 * The JSON body of an error reply ({@code {"code":1007,"error":"ORG_UNKNOWN_MEMBER","message":"..."}}), sent with
 * the NATS service error headers so any NATS client can read it.
 *
 * @param code the catalogue number
 * @param error the catalogue name
 * @param message what went wrong in this occurrence, naming the problem
 */
public record ErrorBody(int code, String error, String message) {
    public static ErrorBody of(ErrorCode code, String message) {
        return new ErrorBody(code.code(), code.name(), message);
    }
}
