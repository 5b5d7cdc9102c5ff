package dev.orgmesh.protocol.org;

/**
 * Where agents' local leaf nodes dial the hub.
 *
 * @param url leafnode URL such as {@code nats-leaf://komodo-ai-nats-hub.internal:7422}; {@code null} when the org
 *        file does not say (then {@code KOMODO_NATS_HUB} or the deploy target decides)
 */
public record HubSpec(String url) {
}
