package dev.orgmesh.service;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the NATS connection is up: every orgmesh service does its work through NATS. */
@Readiness
@ApplicationScoped
public class NatsReadinessCheck implements HealthCheck {
    private final NatsClient client;

    public NatsReadinessCheck(NatsClient client) {
        this.client = client;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("nats").withData("url", client.settings().url());
        client.connection().ifPresent(c -> b.withData("status", c.getStatus().name().toLowerCase()));
        return b.status(client.isConnected()).build();
    }
}
