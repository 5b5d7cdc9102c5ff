package dev.orgmesh.console;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

import dev.orgmesh.testkit.NatsTestResource;

/**
 * {@link ConsoleHealthTest} against the packaged artifact: with {@code -Dnative}, the native executable
 * (.github/workflows/native.yml).
 */
@QuarkusIntegrationTest
@QuarkusTestResource(NatsTestResource.class)
class ConsoleHealthIT extends ConsoleHealthTest {
}
