package dev.orgmesh.vault.service;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the responder is subscribed to {@code {co}.vault.*.get} on a live connection. */
@Readiness
@ApplicationScoped
public class VaultReadinessCheck implements HealthCheck {
    private final VaultBridgeService service;

    public VaultReadinessCheck(VaultBridgeService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("vault-bridge");
        service.backendDescription().ifPresent(d -> b.withData("backend", d));
        String problem = service.problem();
        if (problem != null) {
            b.withData("problem", problem);
        }
        return b.status(service.isServing()).build();
    }
}
