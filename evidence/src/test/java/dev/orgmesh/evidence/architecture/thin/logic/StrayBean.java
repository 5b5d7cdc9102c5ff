package dev.orgmesh.evidence.architecture.thin.logic;

import jakarta.enterprise.context.ApplicationScoped;

/** A CDI bean among the plain classes: breaks "entry points live in service packages". */
@ApplicationScoped
public class StrayBean {
}
