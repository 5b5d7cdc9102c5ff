/**
 * Org file to hub: renders the hub's {@code nats-server} config (one account per company, one NKey user per agent,
 * human and service, permissions derived from the org), each agent's leaf config and credentials, and keeps the
 * keys stable across renders. Plain classes; see {@link dev.orgmesh.render.HubRenderer} and
 * {@code docs/adr/0001-hub-auth.md} for why leaves authenticate the way they do.
 */
package dev.orgmesh.render;
