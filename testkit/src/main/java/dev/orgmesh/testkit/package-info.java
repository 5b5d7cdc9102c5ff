/**
 * Real {@code nats-server} processes for tests: a single JetStream server, a hub with leaves and a JetStream
 * cluster, each on random 127.0.0.1 ports with its own temp dir, plus a JUnit 5 extension and a Quarkus test
 * resource that hand them to tests.
 *
 * <p>
 * orgmesh tests never mock NATS; this module is how they get the real thing cheaply and without leaking
 * processes or directories.
 */
package dev.orgmesh.testkit;
