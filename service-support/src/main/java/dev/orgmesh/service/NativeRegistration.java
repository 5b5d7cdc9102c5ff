package dev.orgmesh.service;

import io.quarkus.runtime.annotations.RegisterForReflection;

import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.BudgetWire;
import dev.orgmesh.protocol.ErrorBody;
import dev.orgmesh.protocol.Handled;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.directory.DirectoryWire;
import dev.orgmesh.protocol.org.BudgetRecords;

/**
 * Wire records that Jackson reads and writes by reflection, registered for native images. The protocol module has
 * no Quarkus dependency, so its records are registered here, in the library every service includes.
 */
@RegisterForReflection(targets = {ErrorBody.class, Presence.class, Handled.class, Approval.class,
        Approval.Decision.class, BudgetWire.ReserveRequest.class,
        BudgetWire.ReserveReply.class, BudgetWire.SettleRequest.class, BudgetWire.Refusal.class,
        BudgetRecords.Reservation.class, DirectoryWire.MemberView.class, DirectoryWire.TeamView.class,
        DirectoryWire.RoleView.class, DirectoryWire.ChainView.class, DirectoryWire.ChartView.class})
public final class NativeRegistration {
    private NativeRegistration() {
    }
}
