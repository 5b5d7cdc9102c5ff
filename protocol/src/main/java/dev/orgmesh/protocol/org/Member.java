package dev.orgmesh.protocol.org;

/** Anyone with a DM subject: an agent or a human. */
public sealed interface Member permits Agent, Human {
    /** The member id, a safe NATS token. */
    String id();

    /** Display name. */
    String name();

    /** {@code true} for humans, who sit at the top of every reporting chain. */
    default boolean isHuman() {
        return this instanceof Human;
    }
}
