/**
 * Generic JetStream plumbing a service builds its message flow from: a store-and-forward publisher
 * ({@link dev.orgmesh.messaging.flow.Outbox}), a pull loop bound to an existing durable that fetches only what it has
 * room for ({@link dev.orgmesh.messaging.flow.PullSource}), and dead letters: copying a message to
 * {@code {co}.dlq.{source}} with its reason ({@link dev.orgmesh.messaging.flow.DeadLetters}) and moving the messages
 * the server gives up on, driven by its max-deliveries advisory ({@link dev.orgmesh.messaging.flow.DeadLetterMover}).
 * Nothing here knows what an agent is.
 */
package dev.orgmesh.messaging.flow;
