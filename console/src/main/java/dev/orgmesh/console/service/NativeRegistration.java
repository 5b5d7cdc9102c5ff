package dev.orgmesh.console.service;

import io.quarkus.runtime.annotations.RegisterForReflection;

import dev.orgmesh.console.live.BudgetRow;
import dev.orgmesh.console.live.FeedEntry;
import dev.orgmesh.console.live.OrgView;
import dev.orgmesh.console.live.PresenceView;
import dev.orgmesh.messaging.ops.DeadLetterOps;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorBody;

/**
 * Records the console writes (and, for {@link Approval}, reads) with Jackson by reflection, registered for native
 * images; the protocol and messaging types are registered here because those modules have no Quarkus processing of
 * their own.
 */
@RegisterForReflection(targets = {Approval.class, ErrorBody.class, DeadLetterOps.Row.class, FeedEntry.class,
        OrgView.class, PresenceView.class, BudgetRow.class})
public final class NativeRegistration {
    private NativeRegistration() {
    }
}
