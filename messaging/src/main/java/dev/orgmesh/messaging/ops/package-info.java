/**
 * What an operator does to the org's stored messages, shared by the {@code orgmesh} command and the console: read a
 * stream by sequence ({@link dev.orgmesh.messaging.ops.StreamReader}) and list, show and replay dead letters
 * ({@link dev.orgmesh.messaging.ops.DeadLetterOps}). Operator credentials only; agents may not read stored messages.
 */
package dev.orgmesh.messaging.ops;
