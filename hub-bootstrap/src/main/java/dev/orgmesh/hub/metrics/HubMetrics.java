package dev.orgmesh.hub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * hub-bootstrap's meters (Prometheus names in brackets): directory requests by endpoint and outcome
 * ({@code orgmesh_hub_directory_requests_total{endpoint,outcome}}, outcome {@code ok} or {@code error}); approvals
 * decided ({@code orgmesh_hub_approvals_decided_total{decision}}: {@code approved}, {@code denied}, {@code expired},
 * {@code escalated}); dead letters the desk moved and escalated
 * ({@code orgmesh_hub_dead_letters_escalated_total{outcome}}: {@code told}, {@code nobody}, {@code failed}); budget
 * reservations ({@code orgmesh_hub_budget_reservations_total{outcome}}: {@code granted}, {@code refused} by a hard
 * limit, {@code invalid}).
 */
public final class HubMetrics {
    /** Records nothing: for desks started outside the service (tests, the CLI). */
    public static final HubMetrics NONE = new HubMetrics(new CompositeMeterRegistry());

    private final MeterRegistry registry;

    public HubMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A directory request on {@code endpoint} was answered, or answered with an error. */
    public void directoryRequest(String endpoint, boolean ok) {
        Counter.builder("orgmesh.hub.directory.requests").description("org directory requests")
                .tag("endpoint", endpoint).tag("outcome", ok ? "ok" : "error").register(registry).increment();
    }

    /** An approval record reached {@code status} (approved, denied, expired, escalated). */
    public void approvalDecided(String status) {
        Counter.builder("orgmesh.hub.approvals.decided")
                .description("approvals decided, by a human or the gate's timeout")
                .tag("decision", status).register(registry).increment();
    }

    /** A dead letter was moved and its escalation {@code told} the manager, found {@code nobody}, or {@code failed}. */
    public void deadLetterEscalated(String outcome) {
        Counter.builder("orgmesh.hub.dead.letters.escalated")
                .description("dead letters the hub moved, by what became of the escalation").tag("outcome", outcome)
                .register(registry).increment();
    }

    /** A budget reservation was {@code granted}, {@code refused} by a hard limit, or {@code invalid}. */
    public void budgetReservation(String outcome) {
        Counter.builder("orgmesh.hub.budget.reservations").description("budget reservations asked by agents")
                .tag("outcome", outcome).register(registry).increment();
    }
}
