package dev.orgmesh.agent.workspace;

/**
 * The loop limits the runtime enforces, as the workspace's AGENTS.md tells them to the brain (the runtime's
 * {@code RuntimeOptions.loopLimits()}).
 *
 * @param maxHops a message with more hand-offs is a loop
 * @param maxChainRepeats how often the agent may appear in a thread's chain
 * @param pairRateLimit most direct messages one sender may send per minute
 */
public record LoopLimits(int maxHops, int maxChainRepeats, int pairRateLimit) {
}
