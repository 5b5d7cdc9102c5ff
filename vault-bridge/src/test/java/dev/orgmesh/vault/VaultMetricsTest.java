package dev.orgmesh.vault;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.testkit.Metrics;
import dev.orgmesh.testkit.NatsTestResource;

/** An unsigned secret request is refused, and {@code /q/metrics} counts the refusal by its code. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@TestProfile(VaultHealthTest.Profile.class)
class VaultMetricsTest {
    @ConfigProperty(name = "orgmesh.nats.url")
    String url;

    @Test
    void aRefusedRequestIsCountedByItsReason() throws Exception {
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        String reason = "reason=\"" + ErrorCode.VAULT_BAD_SIGNATURE.name() + "\"";
        String before = given().get("/q/metrics").then().statusCode(200).extract().asString();
        try (Connection c = Nats.connect(url)) {
            Message reply = c.request("acme-vault.vault.alice.get", "{}".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(5));
            assertThat(reply).isNotNull();
            assertThat(reply.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo(String.valueOf(ErrorCode.VAULT_BAD_SIGNATURE.code()));
        }
        String after = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(Metrics.value(after, "orgmesh_vault_fetches_refused_total", reason))
                .isEqualTo(Metrics.value(before, "orgmesh_vault_fetches_refused_total", reason) + 1);
        assertThat(after).contains("orgmesh_vault_fetches_served_total").contains("orgmesh_vault_seal_seconds");
    }
}
