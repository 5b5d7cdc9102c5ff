package dev.orgmesh.agent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

import dev.orgmesh.testkit.HealthContract;

/**
 * agent-runtime's health against the packaged artifact: with {@code -Dnative}, the native executable
 * (.github/workflows/native.yml). {@link AgentTestResource} starts the real nats-server, applies the org and hands the
 * executable its org file and agent id. It extends {@link HealthContract} rather than {@link AgentHealthTest}, which
 * injects a bean ({@code @Inject} is not available against a packaged artifact); the HTTP checks are the same.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(AgentTestResource.class)
class AgentHealthIT extends HealthContract {

    @Test
    void readyOnceEverySourceIsBoundAndMetersAreExposed() {
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'agent' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'agent' }.data.id", equalTo("cto"))
                .body("checks.find { it.name == 'agent' }.data.'source.tasks'", equalTo("bound")));
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("orgmesh_agent_messages_out_total"))
                .body(containsString("orgmesh_agent_outbox_pending"));
    }
}
