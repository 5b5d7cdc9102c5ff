package dev.orgmesh.vault;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;

import dev.orgmesh.testkit.NatsTestResource;

/**
 * {@link VaultHealthTest} against the packaged artifact: with {@code -Dnative}, the native executable
 * (.github/workflows/native.yml). The profile's overrides (test org, store under target/, a master key made for the
 * run) reach the executable as system properties.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(NatsTestResource.class)
@TestProfile(VaultHealthTest.Profile.class)
class VaultHealthIT extends VaultHealthTest {
}
