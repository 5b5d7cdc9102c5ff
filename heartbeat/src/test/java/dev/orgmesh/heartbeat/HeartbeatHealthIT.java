package dev.orgmesh.heartbeat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

import dev.orgmesh.testkit.NatsTestResource;

/**
 * {@link HeartbeatHealthTest} against the packaged artifact: with {@code -Dnative}, the native executable
 * (.github/workflows/native.yml). It boots with no org (heartbeats off) and is live and ready once connected.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(NatsTestResource.class)
class HeartbeatHealthIT extends HeartbeatHealthTest {
}
