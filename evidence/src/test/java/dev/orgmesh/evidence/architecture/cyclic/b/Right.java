package dev.orgmesh.evidence.architecture.cyclic.b;

import dev.orgmesh.evidence.architecture.cyclic.a.Left;

/** The other half of the deliberate package cycle. */
public final class Right {
    public Left left() {
        return new Left();
    }
}
