package dev.orgmesh.evidence.architecture.thin.logic;

import dev.orgmesh.evidence.architecture.thin.service.PlanService;

/** Logic that calls back into the Quarkus layer: breaks "nothing depends on entry points". */
public final class Planner {
    private final PlanService service;

    public Planner(PlanService service) {
        this.service = service;
    }

    /** Twice the service's budget. */
    public int plan() {
        return service.budget() * 2;
    }
}
