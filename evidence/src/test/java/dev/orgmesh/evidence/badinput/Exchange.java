package dev.orgmesh.evidence.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;

/**
 * One request on a real server, observed from the requester's side: it subscribes its reply inbox, publishes the
 * request and waits a bounded time. No reply at all (a silent drop) fails the test, and so does an error reply that
 * is not a well-formed catalogue error.
 */
final class Exchange {
    /** How long a reply may take; endpoints answer in milliseconds. */
    static final Duration WAIT = Duration.ofSeconds(5);

    private Exchange() {
    }

    /** Sends {@code body} to {@code subject} with reply subject {@code inbox}; returns the reply. */
    static Message send(Connection c, String subject, String inbox, Headers headers, byte[] body)
            throws InterruptedException {
        Subscription sub = c.subscribe(inbox);
        try {
            c.publish(NatsMessage.builder().subject(subject).replyTo(inbox)
                    .headers(headers == null ? new Headers() : headers).data(body).build());
            Message reply = sub.nextMessage(WAIT);
            assertThat(reply).as("a reply to a request on %s within %s (a silent drop otherwise)", subject, WAIT)
                    .isNotNull();
            assertThat(reply.isStatusMessage()).as("a reply, not a server status (%s)", reply.getStatus()).isFalse();
            return reply;
        } finally {
            sub.unsubscribe();
        }
    }

    /**
     * The catalogue code of an error reply, checked: the service error headers and the JSON body agree, the code is
     * in {@code [low, high]} and the message says something. {@code null} for a reply that is not an error.
     */
    static ErrorCode errorOf(Message reply, int low, int high) throws Exception {
        if (!Replies.isError(reply)) {
            return null;
        }
        int code = Integer.parseInt(reply.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE));
        ErrorCode ec = ErrorCode.byCode(code);
        assertThat(ec).as("code %s is in the catalogue", code).isNotNull();
        assertThat(code).as("%s: %s", ec, text(reply)).isBetween(low, high);
        JsonNode body = Json.mapper().readTree(reply.getData());
        assertThat(body.path("code").asInt()).isEqualTo(code);
        assertThat(body.path("error").asText()).isEqualTo(ec.name());
        assertThat(body.path("message").asText()).isNotBlank();
        assertThat(reply.getHeaders().getFirst(HeaderNames.SERVICE_ERROR)).isNotBlank();
        return ec;
    }

    static String text(Message m) {
        return m.getData() == null ? "" : new String(m.getData(), StandardCharsets.UTF_8);
    }
}
