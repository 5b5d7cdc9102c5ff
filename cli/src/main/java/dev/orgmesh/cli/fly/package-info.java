/**
 * {@code orgmesh deploy fly}: an org on Fly.io. {@link dev.orgmesh.cli.fly.FlyPlan} computes, without touching the
 * disk, one Fly app per deployable (the NATS hub, hub-bootstrap, heartbeat, vault-bridge, one per agent), their
 * {@code fly.toml} files and the ordered {@code fly} commands; {@link dev.orgmesh.cli.fly.FlyWriter} renders the hub
 * and leaf configs with hub-bootstrap's {@code HubRenderer} and writes the plan. Images are the targets of
 * {@code deploy/docker/Dockerfile.native} and {@code Dockerfile.jvm}; {@code deploy/README.md} explains the layout.
 */
package dev.orgmesh.cli.fly;
