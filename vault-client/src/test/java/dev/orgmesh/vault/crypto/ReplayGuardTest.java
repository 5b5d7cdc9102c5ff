package dev.orgmesh.vault.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

class ReplayGuardTest {
    final AtomicLong now = new AtomicLong(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli());
    final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    final ReplayGuard guard = new ReplayGuard(Duration.ofSeconds(60), 3, clock);

    @Test
    void aNonceIsAcceptedOnceWithinTheWindow() {
        guard.check("a", "n1", now.get());
        assertThatThrownBy(() -> guard.check("a", "n1", now.get())).isInstanceOf(OrgmeshException.class)
                .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_REPLAY);
        assertThatCode(() -> guard.check("b", "n1", now.get())).as("nonces are per agent").doesNotThrowAnyException();
    }

    @Test
    void staleAndFutureRequestsAreRefused() {
        assertThatThrownBy(() -> guard.check("a", "old", now.get() - 61_000)).hasMessageContaining("more than 60 s");
        assertThatThrownBy(() -> guard.check("a", "future", now.get() + 61_000))
                .isInstanceOf(OrgmeshException.class);
        assertThatCode(() -> guard.check("a", "edge", now.get() - 60_000)).doesNotThrowAnyException();
    }

    @Test
    void memoryIsBoundedByTheWindowAndTheCap() {
        guard.check("a", "n1", now.get());
        guard.check("a", "n2", now.get());
        guard.check("a", "n3", now.get());
        assertThatThrownBy(() -> guard.check("a", "n4", now.get())).hasMessageContaining("a sent more than 3");
        now.addAndGet(61_000);
        guard.check("a", "n5", now.get());
        assertThat(guard.size()).isEqualTo(1);
        // n1 is forgotten, but its timestamp is now out of the window, so a replay is still refused.
        assertThatThrownBy(() -> guard.check("a", "n1", now.get() - 61_000)).isInstanceOf(OrgmeshException.class);
    }

    @Test
    void oneAgentOverItsQuotaDoesNotStopAnother() {
        guard.check("greedy", "n1", now.get());
        guard.check("greedy", "n2", now.get());
        guard.check("greedy", "n3", now.get());
        assertThatThrownBy(() -> guard.check("greedy", "n4", now.get())).isInstanceOf(OrgmeshException.class);
        for (int i = 0; i < 3; i++) {
            int n = i;
            assertThatCode(() -> guard.check("other", "m" + n, now.get())).doesNotThrowAnyException();
        }
        assertThat(guard.size()).isEqualTo(6);
    }

    @Test
    void aNonceClaimedInTheLedgerIsARepeatEvenForAFreshGuard() {
        Set<String> ledger = ConcurrentHashMap.newKeySet();
        ReplayGuard.NonceLedger shared = (agent, nonce) -> ledger.add(agent + "/" + nonce);
        new ReplayGuard(Duration.ofSeconds(60), 3, clock, shared).check("a", "n1", now.get());
        // another bridge instance, or this one after a restart: its memory is empty, the ledger is not
        ReplayGuard restarted = new ReplayGuard(Duration.ofSeconds(60), 3, clock, shared);
        assertThatThrownBy(() -> restarted.check("a", "n1", now.get())).isInstanceOf(OrgmeshException.class)
                .hasMessageContaining("another bridge instance or before a restart");
        assertThatCode(() -> restarted.check("a", "n2", now.get())).doesNotThrowAnyException();
    }
}
