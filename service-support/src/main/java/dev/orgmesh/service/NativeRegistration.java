package dev.orgmesh.service;

import io.quarkus.runtime.annotations.RegisterForReflection;

import dev.orgmesh.protocol.ErrorBody;
import dev.orgmesh.protocol.Presence;

/**
 * Wire records that Jackson reads and writes by reflection, registered for native images. The protocol module has
 * no Quarkus dependency, so its records are registered here, in the library every service includes.
 */
@RegisterForReflection(targets = {ErrorBody.class, Presence.class})
public final class NativeRegistration {
    private NativeRegistration() {
    }
}
