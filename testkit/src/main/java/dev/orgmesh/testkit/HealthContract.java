package dev.orgmesh.testkit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What every orgmesh service's health and metrics endpoints must show, written once. A service test extends this with
 * {@code @QuarkusTest} and {@code @QuarkusTestResource(NatsTestResource.class)}: the service must boot, be live,
 * be ready only because its NATS connection to the real test server is up, and answer Prometheus' scrape on
 * {@code /q/metrics}. The {@code *HealthIT} subclasses run the same against the packaged (and native) executable.
 */
public abstract class HealthContract {

    @Test
    public void liveAndReadyWithNatsConnected() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("nats"))
                .body("checks.find { it.name == 'nats' }.status", equalTo("UP")));
    }

    @Test
    public void metricsAreExposedForPrometheus() {
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("# TYPE "));
    }
}
