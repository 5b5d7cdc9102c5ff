package dev.orgmesh.service.channel;

import io.nats.client.impl.Headers;

/**
 * What a message on an {@code orgmesh-nats} channel carries besides its payload: the subject it was published on
 * (the subscription's may have wildcards) and its headers. Read it with
 * {@code message.getMetadata(NatsMetadata.class)}.
 *
 * @param subject the subject the message was published on
 * @param headers its NATS headers, read-only; {@code null} when it had none
 */
public record NatsMetadata(String subject, Headers headers) {
}
