package dev.orgmesh.messaging.flow;

import java.util.Objects;

import io.nats.client.impl.Headers;

/**
 * One message for the {@link Outbox}: where it goes, its headers and body, and the {@code Nats-Msg-Id} that makes
 * every retry of it land in the stream once.
 *
 * @param subject a subject captured by a stream
 * @param headers extra headers, may be {@code null}; {@code Nats-Msg-Id} is added from {@code msgId}
 * @param body the payload
 * @param msgId the de-duplication key, unique per logical message (orgmesh uses the envelope id)
 */
public record OutboundMessage(String subject, Headers headers, byte[] body, String msgId) {
    public OutboundMessage {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(body, "body");
        if (msgId == null || msgId.isBlank()) {
            throw new IllegalArgumentException("an outbound message needs a msgId so retries are stored once");
        }
    }
}
