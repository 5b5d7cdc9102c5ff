package dev.orgmesh.protocol.org;

/**
 * A person in the org. Humans get a DM subject like agents, receive escalations that reach the top of a reporting
 * chain, and approve held messages.
 *
 * @param id member id
 * @param name display name
 * @param email optional contact, shown in ORG.md
 */
public record Human(String id, String name, String email) implements Member {
}
