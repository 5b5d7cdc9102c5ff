package dev.orgmesh.messaging;

import java.io.IOException;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorBody;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Error replies for request/reply endpoints: the NATS service error headers ({@code Nats-Service-Error},
 * {@code Nats-Service-Error-Code} with the catalogue number), so generic NATS tooling sees an error, plus a small
 * JSON body ({@link ErrorBody}) so a program gets the code, its name and the message without parsing headers.
 */
public final class Replies {
    private Replies() {
    }

    /** The headers of an error reply. */
    public static Headers errorHeaders(OrgmeshException e) {
        Headers h = new Headers();
        h.put(HeaderNames.SERVICE_ERROR, headerValue(e.getMessage()));
        h.put(HeaderNames.SERVICE_ERROR_CODE, String.valueOf(e.code().code()));
        return h;
    }

    /** Longest error description put in a header; the JSON body carries the whole message. */
    static final int MAX_HEADER_CHARS = 1024;

    /**
     * A NATS header value says {@code message}: only printable ASCII on one line is allowed there (jnats refuses
     * anything else, and an error message may quote the bad input), so other characters are escaped (backslash,
     * {@code u}, four hex digits) and a long message is cut.
     */
    static String headerValue(String message) {
        String m = message == null ? "" : message;
        StringBuilder b = new StringBuilder(Math.min(m.length(), MAX_HEADER_CHARS));
        for (int i = 0; i < m.length() && b.length() < MAX_HEADER_CHARS; i++) {
            char c = m.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        if (b.length() >= MAX_HEADER_CHARS && m.length() > MAX_HEADER_CHARS) {
            b.setLength(MAX_HEADER_CHARS - 3);
            b.append("...");
        }
        return b.toString();
    }

    /** Sends an error reply to {@code replyTo}; does nothing for a request without a reply subject. */
    public static void error(Connection c, String replyTo, OrgmeshException e) {
        if (replyTo != null && !replyTo.isEmpty()) {
            c.publish(replyTo, errorHeaders(e), Json.write(e.toBody()));
        }
    }

    /**
     * An error reply as the exception it reports: the catalogue code from {@code Nats-Service-Error-Code} and the
     * whole message from the JSON body (the header's text is shortened and escaped), falling back to the header and to
     * {@code fallback} when the code is not one of ours.
     */
    public static OrgmeshException exception(Message m, ErrorCode fallback) {
        String header = m.getHeaders() == null
                ? null
                : m.getHeaders().getFirst(HeaderNames.SERVICE_ERROR);
        String codeText = m.getHeaders() == null
                ? null
                : m.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE);
        ErrorCode code = null;
        try {
            code = codeText == null ? null : ErrorCode.byCode(Integer.parseInt(codeText.strip()));
        } catch (NumberFormatException e) {
            // not one of ours
        }
        String message = null;
        try {
            if (m.getData() != null && m.getData().length > 0) {
                message = Json.mapper().readValue(m.getData(), ErrorBody.class).message();
            }
        } catch (IOException | RuntimeException e) {
            // not an ErrorBody: the header says it
        }
        if (message == null) {
            message = header != null ? header : "error " + codeText;
        }
        return new OrgmeshException(code != null ? code : fallback, message);
    }

    /** Whether a reply message is an error reply. */
    public static boolean isError(Message m) {
        return m.hasHeaders() && m.getHeaders().containsKey(HeaderNames.SERVICE_ERROR_CODE);
    }
}
