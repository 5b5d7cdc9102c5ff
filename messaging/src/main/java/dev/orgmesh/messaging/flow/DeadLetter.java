package dev.orgmesh.messaging.flow;

import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;

/**
 * A message copied to the dead-letter stream.
 *
 * @param stream the stream it came from
 * @param sequence its sequence there
 * @param subject the subject it was published to
 * @param headers its original headers (may be {@code null})
 * @param body its payload, as it was
 * @param code why it was dead-lettered
 * @param reason the detail, as written to {@code Orgmesh-Dlq-Reason}
 * @param duplicate {@code true} when the dead-letter stream already had it (someone else moved it first)
 */
public record DeadLetter(String stream, long sequence, String subject, Headers headers, byte[] body, ErrorCode code,
        String reason, boolean duplicate) {

    /** The {@code Nats-Msg-Id} of the dead letter: one per source message, whoever moves it. */
    public String msgId() {
        return DeadLetters.msgId(stream, sequence);
    }
}
