package dev.orgmesh.service.channel;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Subjects of {@code orgmesh-nats} channels that are known only at run time, given by the service once it knows them
 * (the console, once its org is loaded: {@code {co}.>}). A channel configured without a {@code subject} attribute
 * waits here for its subject before it subscribes.
 */
@ApplicationScoped
public class ChannelSubjects {
    private final ConcurrentMap<String, CompletableFuture<String>> subjects = new ConcurrentHashMap<>();

    /**
     * Gives {@code channel} its subject. A channel's subject is set once: the same subject again is accepted, another
     * one is refused with {@code CHANNEL_MISCONFIGURED} (a channel does not move to other subjects while it runs).
     */
    public void set(String channel, String subject) {
        Objects.requireNonNull(subject, "subject");
        CompletableFuture<String> f = of(channel);
        if (!f.complete(subject) && !subject.equals(f.join())) {
            throw new OrgmeshException(ErrorCode.CHANNEL_MISCONFIGURED, "channel " + channel + " follows " + f.join()
                    + " already and cannot move to " + subject);
        }
    }

    /** The subject of {@code channel}, completed once {@link #set} names it. */
    public CompletableFuture<String> of(String channel) {
        return subjects.computeIfAbsent(channel, c -> new CompletableFuture<>());
    }
}
