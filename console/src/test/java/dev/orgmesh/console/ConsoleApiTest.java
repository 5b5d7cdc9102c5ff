package dev.orgmesh.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import java.time.Duration;
import java.util.List;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.NatsTestResource;

/** The console's HTTP API over a real nats-server: the snapshot, the desk being away, and a dead letter replayed. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class ConsoleApiTest {
    @ConfigProperty(name = "orgmesh.nats.url")
    String natsUrl;

    @Test
    void snapshotListsEveryMember() throws Exception {
        try (Connection c = Nats.connect(natsUrl)) {
            OrgFixture.apply(c);
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/api/state").then().statusCode(200)
                .body("org.company", equalTo("komodo-ai"))
                .body("org.members.id", hasItems(OrgFixture.ORG.members().stream().map(m -> m.id()).toArray()))
                .body("decider", equalTo("board")));
    }

    @Test
    void aDecisionWithoutADeskSaysSo() throws Exception {
        try (Connection c = Nats.connect(natsUrl)) {
            OrgFixture.apply(c);
            OrgFixture.hold(c, "ap-api-nodesk", "Nobody listens", List.of("board"));
        }
        given().contentType("application/json").body("{}").post("/api/approvals/ap-api-nodesk/approve").then()
                .statusCode(503).body("error", anyOf(equalTo("NO_RESPONDERS"), equalTo("REQUEST_TIMEOUT")))
                .body("message", containsString("is hub-bootstrap running?"));
    }

    @Test
    void aDeadLetterIsReplayedToWhereItWasSent() throws Exception {
        try (Connection c = Nats.connect(natsUrl)) {
            OrgFixture.apply(c);
            JetStreamSubscription inbox = c.jetStream().subscribe(OrgFixture.S.dm("cto-athena"),
                    PullSubscribeOptions.bind(OrgFixture.S.inboxStream(), "dm-cto-athena"));
            OrgFixture.deadLetter(c, "poison-api", "Replay me");
            long seq = await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/dlq").then()
                    .statusCode(200).extract().jsonPath().getList("findAll { it.envelope_id == 'poison-api' }.seq",
                            Long.class),
                    l -> !l.isEmpty()).getFirst();
            given().post("/api/dlq/" + seq + "/replay").then().statusCode(200);
            List<Message> got = inbox.fetch(1, Duration.ofSeconds(5));
            assertThat(got).hasSize(1);
            Envelope replayed = EnvelopeCodec.decode(got.getFirst().getData());
            assertThat(replayed.subject()).isEqualTo("Replay me");
            assertThat(replayed.id()).isNotEqualTo("poison-api");
            given().post("/api/dlq/999999/replay").then().statusCode(409).body("error", equalTo("CLI_USAGE"));
        }
    }
}
