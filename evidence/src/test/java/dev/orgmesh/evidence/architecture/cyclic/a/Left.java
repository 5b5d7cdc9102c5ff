package dev.orgmesh.evidence.architecture.cyclic.a;

import dev.orgmesh.evidence.architecture.cyclic.b.Right;

/** Half of a deliberate package cycle: shows that {@code ArchitectureTest}'s rule can fail. */
public final class Left {
    public Right right() {
        return new Right();
    }
}
