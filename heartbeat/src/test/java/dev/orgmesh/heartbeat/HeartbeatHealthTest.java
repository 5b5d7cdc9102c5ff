package dev.orgmesh.heartbeat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.testkit.HealthContract;
import dev.orgmesh.testkit.NatsTestResource;

/** heartbeat boots, connects to a real nats-server and answers its health endpoints. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class HeartbeatHealthTest extends HealthContract {
}
