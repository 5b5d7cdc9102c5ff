package dev.orgmesh.agent.service;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.orgmesh.agent.runtime.AgentRuntime;

/** Ready once the runtime has bound every source (DM, channels, tasks, events, heartbeat) and its ask subject. */
@Readiness
@ApplicationScoped
public class AgentReadinessCheck implements HealthCheck {
    private final AgentService service;

    public AgentReadinessCheck(AgentService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("agent");
        service.soul().ifPresent(s -> b.withData("id", s.agent().id()).withData("company", s.org().company()));
        AgentRuntime r = service.runtime().orElse(null);
        if (r == null) {
            return b.withData("state", service.startProblem().orElse("starting")).down().build();
        }
        r.sourceStatus().forEach((name, bound) -> b.withData("source." + name, bound ? "bound" : "binding"));
        b.withData("outbox.pending", r.outboxPending());
        return b.status(r.isReady()).build();
    }
}
