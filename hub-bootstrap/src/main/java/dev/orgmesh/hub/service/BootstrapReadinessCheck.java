package dev.orgmesh.hub.service;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the org is applied and the directory is serving. */
@Readiness
@ApplicationScoped
public class BootstrapReadinessCheck implements HealthCheck {
    private final BootstrapService service;

    public BootstrapReadinessCheck(BootstrapService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("org");
        service.org().ifPresent(o -> b.withData("company", o.company()).withData("agents", o.agents().size()));
        if (!service.isServing()) {
            service.startProblem().ifPresent(p -> b.withData("problem", p));
        }
        return b.status(service.isServing()).build();
    }
}
