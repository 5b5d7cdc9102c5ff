package dev.orgmesh.vault.crypto;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Refuses stale and replayed requests: a request's timestamp must be within {@code skew} of this clock, and its
 * nonce must not have been used by that agent before.
 *
 * <ul>
 * <li><b>Bounded per agent.</b> Each agent may have at most {@code maxPerAgent} nonces within the window; above it
 * only that agent's requests are refused until its older ones expire, so one agent (a prompt-injected one included)
 * cannot crowd out another. A nonce is remembered only until its timestamp leaves the window: after that the
 * timestamp check refuses it anyway.</li>
 * <li><b>Shared and durable.</b> With a {@link NonceLedger} (the bridge's is a KV bucket on the hub), a nonce is also
 * claimed there, so a replay is refused by every bridge instance and after a bridge restart, not only by the process
 * that saw it first.</li>
 * </ul>
 * Requests reach the guard only after their signature verified, so an agent's quota is spent only by that agent.
 */
public final class ReplayGuard {
    /**
     * Where nonces are claimed beyond this process.
     */
    @FunctionalInterface
    public interface NonceLedger {
        /**
         * Claims {@code nonce} for {@code agent}; false when it was claimed before.
         *
         * @throws OrgmeshException when the ledger cannot be reached (the request is refused: the guard fails closed)
         */
        boolean claim(String agent, String nonce);

        /** No ledger: this process only. */
        NonceLedger NONE = (agent, nonce) -> true;
    }

    private final Duration skew;
    private final int maxPerAgent;
    private final InstantSource clock;
    private final NonceLedger ledger;
    /** Agent → nonce → when it may be forgotten (millis). */
    private final Map<String, Map<String, Long>> seen = new HashMap<>();
    private long lastPurgeMillis;

    /** A guard of this process only. */
    public ReplayGuard(Duration skew, int maxPerAgent, InstantSource clock) {
        this(skew, maxPerAgent, clock, NonceLedger.NONE);
    }

    public ReplayGuard(Duration skew, int maxPerAgent, InstantSource clock, NonceLedger ledger) {
        this.skew = skew;
        this.maxPerAgent = maxPerAgent;
        this.clock = clock;
        this.ledger = ledger;
    }

    /** The allowed clock difference either way. */
    public Duration skew() {
        return skew;
    }

    /** Accepts the request once; throws {@code VAULT_REPLAY} when it is stale, in the future, a repeat or over quota. */
    public void check(String agent, String nonce, long tsMillis) {
        long now = clock.millis();
        long skewMillis = skew.toMillis();
        if (Math.abs(now - tsMillis) > skewMillis) {
            throw new OrgmeshException(ErrorCode.VAULT_REPLAY,
                    "request time " + Instant.ofEpochMilli(tsMillis) + " is more than " + skew.toSeconds()
                            + " s from the bridge's clock " + Instant.ofEpochMilli(now));
        }
        synchronized (this) {
            if (now - lastPurgeMillis > 1000) {
                purge(now);
            }
            Map<String, Long> mine = seen.computeIfAbsent(agent, a -> new HashMap<>());
            if (mine.size() >= maxPerAgent) {
                // only this agent's own nonces: an agent over its quota must not cost the others a full sweep
                mine.values().removeIf(forgetAt -> forgetAt < now);
            }
            if (mine.containsKey(nonce)) {
                throw new OrgmeshException(ErrorCode.VAULT_REPLAY, "nonce already used by " + agent);
            }
            if (mine.size() >= maxPerAgent) {
                throw new OrgmeshException(ErrorCode.VAULT_REPLAY, agent + " sent more than " + maxPerAgent
                        + " requests within the " + skew.toSeconds() + " s replay window; retry shortly");
            }
            mine.put(nonce, tsMillis + skewMillis);
        }
        // outside the lock: a round trip to the hub must not hold up other agents' requests
        if (!ledger.claim(agent, nonce)) {
            throw new OrgmeshException(ErrorCode.VAULT_REPLAY,
                    "nonce already used by " + agent + " (seen by another bridge instance or before a restart)");
        }
    }

    /** How many nonces are remembered now, over all agents. */
    public synchronized int size() {
        return seen.values().stream().mapToInt(Map::size).sum();
    }

    private void purge(long now) {
        lastPurgeMillis = now;
        for (Iterator<Map<String, Long>> agents = seen.values().iterator(); agents.hasNext();) {
            Map<String, Long> nonces = agents.next();
            nonces.values().removeIf(forgetAt -> forgetAt < now);
            if (nonces.isEmpty()) {
                agents.remove();
            }
        }
    }
}
