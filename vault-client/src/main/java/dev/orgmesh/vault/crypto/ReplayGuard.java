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
 * nonce must not have been seen from that agent within the window. A nonce is remembered only until its timestamp
 * leaves the window (after that the timestamp check refuses it anyway), so memory is bounded by the request rate
 * times twice the skew; above {@code maxEntries} the guard refuses new requests rather than forget a nonce.
 *
 * <p>One guard per bridge process. With several bridges in the queue group a replay could reach another instance;
 * that gains nothing, because the reply subject is signed and the reply is sealed to the original requester's
 * one-time key.
 */
public final class ReplayGuard {
    private final Duration skew;
    private final int maxEntries;
    private final InstantSource clock;
    private final Map<String, Long> seen = new HashMap<>();
    private long lastPurgeMillis;

    public ReplayGuard(Duration skew, int maxEntries, InstantSource clock) {
        this.skew = skew;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    /** The allowed clock difference either way. */
    public Duration skew() {
        return skew;
    }

    /** Accepts the request once; throws {@code VAULT_REPLAY} when it is stale, in the future or a repeat. */
    public synchronized void check(String agent, String nonce, long tsMillis) {
        long now = clock.millis();
        long skewMillis = skew.toMillis();
        if (Math.abs(now - tsMillis) > skewMillis) {
            throw new OrgmeshException(ErrorCode.VAULT_REPLAY,
                    "request time " + Instant.ofEpochMilli(tsMillis) + " is more than " + skew.toSeconds()
                            + " s from the bridge's clock " + Instant.ofEpochMilli(now));
        }
        if (now - lastPurgeMillis > 1000 || seen.size() >= maxEntries) {
            purge(now);
        }
        String key = agent + "/" + nonce;
        if (seen.containsKey(key)) {
            throw new OrgmeshException(ErrorCode.VAULT_REPLAY, "nonce already used by " + agent);
        }
        if (seen.size() >= maxEntries) {
            throw new OrgmeshException(ErrorCode.VAULT_REPLAY,
                    "too many requests within the " + skew.toSeconds() + " s replay window; retry shortly");
        }
        seen.put(key, tsMillis + skewMillis);
    }

    /** How many nonces are remembered now. */
    public synchronized int size() {
        return seen.size();
    }

    private void purge(long now) {
        lastPurgeMillis = now;
        for (Iterator<Long> it = seen.values().iterator(); it.hasNext();) {
            if (it.next() < now) {
                it.remove();
            }
        }
    }
}
