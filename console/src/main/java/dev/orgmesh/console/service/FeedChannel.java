package dev.orgmesh.console.service;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import dev.orgmesh.console.live.LiveState;
import dev.orgmesh.service.channel.NatsMetadata;

/**
 * Entry point of the live feed: the Reactive Messaging channel {@value #NAME}, every message on {@code {co}.>} through
 * service-support's {@code orgmesh-nats} connector (a core subscription on the console's one connection, so the
 * console sees everything as it is sent and takes nothing from anyone's stream). Its subject is given once the org is
 * loaded ({@link ConsoleService}); each message goes into the {@link LiveState}. Acknowledging does nothing.
 */
@ApplicationScoped
public class FeedChannel {
    /** The channel's name in {@code mp.messaging.incoming.*}. */
    public static final String NAME = "feed";

    private final LiveState state;

    public FeedChannel(ConsoleService console) {
        this.state = console.state();
    }

    /** One message of {@code {co}.>}, with the subject it was published on. */
    @Incoming(NAME)
    public CompletionStage<Void> take(Message<byte[]> message) {
        message.getMetadata(NatsMetadata.class)
                .ifPresent(nats -> state.message(nats.subject(), message.getPayload()));
        return message.ack();
    }
}
