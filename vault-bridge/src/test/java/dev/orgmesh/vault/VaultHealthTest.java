package dev.orgmesh.vault;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.orgmesh.testkit.HealthContract;
import dev.orgmesh.testkit.NatsTestResource;

/**
 * vault-bridge boots, connects to a real nats-server, subscribes its responder and answers its health endpoints;
 * readiness includes the responder being subscribed. The master key is made for the run, never written to a file.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@TestProfile(VaultHealthTest.Profile.class)
class VaultHealthTest extends HealthContract {

    /** Test configuration: the test org, an empty store under target/, a random master key. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            return Map.of("orgmesh.vault.org-file", "src/test/resources/orgs/acme-vault.yaml",
                    "orgmesh.vault.keys-dir", "target/health-test/render",
                    "orgmesh.vault.store-path", "target/health-test/vault.store",
                    "orgmesh.vault.master-key", Base64.getEncoder().encodeToString(key));
        }
    }

    @Test
    void readyOnlyOnceTheResponderIsSubscribed() {
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("checks.find { it.name == 'vault-bridge' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'vault-bridge' }.data.backend",
                        org.hamcrest.Matchers.startsWith("embedded:")));
    }
}
