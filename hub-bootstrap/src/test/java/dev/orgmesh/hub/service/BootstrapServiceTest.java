package dev.orgmesh.hub.service;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.assets.OrgDocument;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.testkit.Metrics;
import dev.orgmesh.testkit.NatsTestResource;

/** The service applies the example org at start, serves the directory, and follows changes of the stored org. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class BootstrapServiceTest {
    static final Subjects S = Subjects.of("komodo-ai");

    @ConfigProperty(name = "orgmesh.nats.url")
    String url;

    @Test
    void appliesServesAndFollowsTheStoredOrg() throws Exception {
        try (Connection c = Nats.connect(url)) {
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(c.jetStreamManagement().getStreamNames())
                            .contains(S.inboxStream(), S.auditStream(), "KV_" + S.orgBucket()));
            await().atMost(Duration.ofSeconds(10)).until(() -> reply(c, "member", "cto-athena") != null);
            assertThat(name(reply(c, "member", "cto-athena"))).isEqualTo("Athena");

            KeyValue kv = c.keyValue(S.orgBucket());
            String original = OrgDocument.get(kv);
            assertThat(original).as("the org text is stored as written")
                    .isEqualTo(Files.readString(Path.of("..", "examples", "komodo-ai.yaml")));

            String grown = original + """

                      - id: qa-iris
                        name: Iris
                        role: role-qa
                        team: eng
                        reports_to: cto-athena
                    """;
            kv.put(OrgDocument.KEY, grown.getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(c.jetStreamManagement().getConsumerNames(S.inboxStream())).contains("dm-qa-iris");
                assertThat(c.jetStreamManagement().getConsumerNames(S.tasksStream())).contains("tasks-role-qa");
                assertThat(name(reply(c, "member", "qa-iris"))).isEqualTo("Iris");
            });

            kv.put(OrgDocument.KEY, "company: komodo-ai\nagents: [ { id: x } ]\n".getBytes(StandardCharsets.UTF_8));
            kv.put(OrgDocument.KEY, grown.replace("name: Iris", "name: Iris Two").getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(name(reply(c, "member", "qa-iris"))).isEqualTo("Iris Two"));
            assertThat(name(reply(c, "member", "cto-athena"))).as("an invalid org in between changed nothing")
                    .isEqualTo("Athena");
        }
    }

    @Test
    void metricsCountDirectoryRequests() throws Exception {
        try (Connection c = Nats.connect(url)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> reply(c, "member", "cto-athena") != null);
            String before = given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(name(reply(c, "member", "cto-athena"))).isEqualTo("Athena");
            reply(c, "member", "nobody-here");
            String after = given().get("/q/metrics").then().statusCode(200).extract().asString();
            String ok = "outcome=\"ok\"";
            String error = "outcome=\"error\"";
            String member = "endpoint=\"member\"";
            String name = "orgmesh_hub_directory_requests_total";
            assertThat(Metrics.value(after, name, member, ok)).isEqualTo(Metrics.value(before, name, member, ok) + 1);
            assertThat(Metrics.value(after, name, member, error))
                    .isEqualTo(Metrics.value(before, name, member, error) + 1);
        }
    }

    static Message reply(Connection c, String endpoint, String id) throws InterruptedException {
        return c.request(S.org(endpoint), id.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(2));
    }

    static String name(Message m) throws Exception {
        return m == null ? null : Json.mapper().readTree(m.getData()).path("name").asText(null);
    }
}
