package dev.orgmesh.hub;

import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.orgmesh.testkit.NatsTestResource;

/**
 * {@link HubHealthTest} against the packaged artifact: with {@code -Dnative}, the native executable
 * (.github/workflows/native.yml). The artifact runs in the prod profile, where the {@code %test} org file of
 * application.properties does not apply, so the profile gives it the example org: it applies the org to the test
 * server and is ready once the directory serves.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(NatsTestResource.class)
@TestProfile(HubHealthIT.ExampleOrg.class)
class HubHealthIT extends HubHealthTest {

    /** The example org, as the test profile's {@code %test.orgmesh.bootstrap.org-file}. */
    public static class ExampleOrg implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("orgmesh.bootstrap.org-file",
                    Path.of("..", "examples", "komodo-ai.yaml").toAbsolutePath().normalize().toString());
        }
    }
}
