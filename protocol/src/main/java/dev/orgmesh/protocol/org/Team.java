package dev.orgmesh.protocol.org;

/**
 * A team: a channel ({@code {co}.{id}}) and a layer of defaults for its agents.
 *
 * @param id team id, a safe NATS token that is not a reserved word
 * @param name display name
 * @param description optional one-liner, shown in ORG.md
 */
public record Team(String id, String name, String description) {
}
