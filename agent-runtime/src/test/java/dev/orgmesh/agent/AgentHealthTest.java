package dev.orgmesh.agent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.agent.service.AgentService;
import dev.orgmesh.testkit.HealthContract;

/**
 * agent-runtime boots as agent {@code cto} of an applied org on a real nats-server, materializes its workspace, binds
 * all its sources (ready), and exposes its meters to Prometheus.
 */
@QuarkusTest
@QuarkusTestResource(AgentTestResource.class)
class AgentHealthTest extends HealthContract {
    @Inject
    AgentService service;

    @Test
    void theWorkspaceIsMaterializedAtBoot() {
        var ws = service.workspace().orElseThrow();
        org.assertj.core.api.Assertions.assertThat(ws.read("SOUL.md")).contains("# Soul of cto (cto)");
        org.assertj.core.api.Assertions.assertThat(ws.read("ORG.md"))
                .contains("Your chain of command: cto → ceo → board");
    }

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
