package dev.orgmesh.hub;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.testkit.HealthContract;
import dev.orgmesh.testkit.NatsTestResource;

/** hub-bootstrap boots, connects to a real nats-server and answers its health endpoints. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class HubHealthTest extends HealthContract {
}
