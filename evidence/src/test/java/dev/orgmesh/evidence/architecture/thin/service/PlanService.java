package dev.orgmesh.evidence.architecture.thin.service;

import jakarta.enterprise.context.ApplicationScoped;

/** A Quarkus entry point where it belongs; {@code logic.Planner} calling it is the violation. */
@ApplicationScoped
public class PlanService {
    /** Something a plain class should not reach for. */
    public int budget() {
        return 3;
    }
}
