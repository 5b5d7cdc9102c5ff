package dev.orgmesh.console;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.testkit.HealthContract;
import dev.orgmesh.testkit.NatsTestResource;

/** The console boots, connects to a real nats-server and answers its health endpoints. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class ConsoleHealthTest extends HealthContract {
}
