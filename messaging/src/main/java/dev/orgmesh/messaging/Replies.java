package dev.orgmesh.messaging;

import io.nats.client.Connection;
import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorBody;
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
        h.put(dev.orgmesh.protocol.Headers.SERVICE_ERROR, e.getMessage());
        h.put(dev.orgmesh.protocol.Headers.SERVICE_ERROR_CODE, String.valueOf(e.code().code()));
        return h;
    }

    /** Sends an error reply to {@code replyTo}; does nothing for a request without a reply subject. */
    public static void error(Connection c, String replyTo, OrgmeshException e) {
        if (replyTo != null && !replyTo.isEmpty()) {
            c.publish(replyTo, errorHeaders(e), Json.write(e.toBody()));
        }
    }

    /** Whether a reply message is an error reply. */
    public static boolean isError(io.nats.client.Message m) {
        return m.hasHeaders() && m.getHeaders().containsKey(dev.orgmesh.protocol.Headers.SERVICE_ERROR_CODE);
    }
}
