package dev.orgmesh.vault.bridge;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import dev.orgmesh.protocol.ErrorCode;

/**
 * The bridge's meters (Prometheus names in brackets): secret requests answered with sealed values
 * ({@code orgmesh_vault_fetches_served_total}), requests refused, by the error code replied
 * ({@code orgmesh_vault_fetches_refused_total{reason}}, e.g. {@code VAULT_DENIED}, {@code VAULT_REPLAY}), and how long
 * sealing one reply to the requester's key took ({@code orgmesh_vault_seal_seconds}). Never a secret name or value.
 */
public final class VaultMetrics {
    /** Records nothing: for services built outside the Quarkus service (tests, benchmarks). */
    public static final VaultMetrics NONE = new VaultMetrics(new CompositeMeterRegistry());

    private final MeterRegistry registry;
    private final Counter served;
    private final Timer seal;

    public VaultMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.served = Counter.builder("orgmesh.vault.fetches.served")
                .description("secret requests answered with sealed values").register(registry);
        this.seal = Timer.builder("orgmesh.vault.seal").description("sealing one reply to the requester's key (HPKE)")
                .register(registry);
    }

    /** A request was answered. */
    public void served() {
        served.increment();
    }

    /** A request was refused with {@code code}. */
    public void refused(ErrorCode code) {
        Counter.builder("orgmesh.vault.fetches.refused").description("secret requests refused, by the code replied")
                .tag("reason", code.name()).register(registry).increment();
    }

    /** Sealing one reply took {@code took}. */
    public void sealed(Duration took) {
        seal.record(took);
    }
}
