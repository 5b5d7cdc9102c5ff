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
import java.util.stream.IntStream;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import dev.orgmesh.console.access.ConsoleAccess;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.Metrics;
import dev.orgmesh.testkit.NatsTestResource;

/**
 * The console's HTTP API over a real nats-server: the login and what it refuses, the snapshot, the desk being away,
 * and a dead letter replayed.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class ConsoleApiTest {
    @ConfigProperty(name = "orgmesh.nats.url")
    String natsUrl;

    /** A logged-in session: its cookie and CSRF token. */
    record Session(String id, String csrf) {
        /** A request of this session; state-changing ones also need {@link #post()}'s JSON and CSRF header. */
        RequestSpecification get() {
            return given().cookie(ConsoleAccess.SESSION_COOKIE, id);
        }

        RequestSpecification post() {
            return get().contentType("application/json").header(ConsoleAccess.CSRF_HEADER, csrf).body("{}");
        }
    }

    static Session login() {
        Response r = given().contentType("application/json").body("{\"token\":\"console-test-token\"}")
                .post("/api/login");
        r.then().statusCode(200);
        assertThat(r.getDetailedCookie(ConsoleAccess.SESSION_COOKIE).isHttpOnly()).isTrue();
        assertThat(r.getDetailedCookie(ConsoleAccess.SESSION_COOKIE).getSameSite()).isEqualToIgnoringCase("Strict");
        return new Session(r.getCookie(ConsoleAccess.SESSION_COOKIE), r.jsonPath().getString("csrf"));
    }

    @Test
    void metricsCountLoginsAndTheLiveFeed() throws Exception {
        String before = given().get("/q/metrics").then().statusCode(200).extract().asString();
        given().contentType("application/json").body("{\"token\":\"guess\"}").post("/api/login").then()
                .statusCode(401);
        login();
        String after = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(Metrics.value(after, "orgmesh_console_logins_total", "outcome=\"ok\""))
                .isEqualTo(Metrics.value(before, "orgmesh_console_logins_total", "outcome=\"ok\"") + 1);
        assertThat(Metrics.value(after, "orgmesh_console_logins_total", "outcome=\"refused\""))
                .isEqualTo(Metrics.value(before, "orgmesh_console_logins_total", "outcome=\"refused\"") + 1);

        double fed = Metrics.value(after, "orgmesh_console_feed_messages_total");
        try (Connection c = Nats.connect(natsUrl)) {
            // the follower subscribes once NATS is up and the org is loaded: publish until the feed takes one
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
                c.publish("komodo-ai.event.metrics-test.ping", "{}".getBytes());
                return Metrics.value(given().get("/q/metrics").asString(), "orgmesh_console_feed_messages_total") > fed;
            });
        }
    }

    @Test
    void theFeedChannelCarriesTheCompanysMessagesInOrderAndNothingElse() throws Exception {
        Session s = login();
        try (Connection c = Nats.connect(natsUrl)) {
            // the channel subscribes once NATS is up and the org is loaded: publish until the feed shows one
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
                c.publish("komodo-ai.eng", "feed-ready".getBytes());
                return s.get().get("/api/feed?limit=500").jsonPath().getList("body").contains("feed-ready");
            });
            for (int i = 0; i < 20; i++) {
                c.publish("komodo-ai.eng", ("feed-order-" + i).getBytes());
                if (i == 10) {
                    c.publish("komodo-aix.eng", "feed-stray".getBytes());
                    c.publish("other.komodo-ai.eng", "feed-stray".getBytes());
                }
            }
            c.flush(Duration.ofSeconds(5));
        }
        List<String> expected = IntStream.range(0, 20).mapToObj(i -> "feed-order-" + i).toList();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.get().get("/api/feed?limit=500").jsonPath()
                .getList("body", String.class).containsAll(expected));
        List<String> bodies = s.get().get("/api/feed?limit=500").jsonPath().getList("body", String.class);
        assertThat(bodies.stream().filter(b -> b.startsWith("feed-order-")).toList())
                .containsExactlyElementsOf(expected);
        assertThat(bodies).doesNotContain("feed-stray");
        String metrics = given().get("/q/metrics").asString();
        assertThat(metrics).contains("\norgmesh_console_feed_dropped_total ");
        assertThat(Metrics.value(metrics, "orgmesh_console_feed_dropped_total")).isZero();
    }

    @Test
    void everyRefusalHasItsCode() {
        given().get("/api/state").then().statusCode(401).body("code", equalTo(9000));
        given().contentType("application/json").body("{\"token\":\"guess\"}").post("/api/login").then()
                .statusCode(401).body("code", equalTo(9001));
        Session s = login();
        s.get().get("/api/state").then().statusCode(200);
        s.get().get("/api/session").then().statusCode(200).body("csrf", equalTo(s.csrf()));
        // a POST without the CSRF header, or not JSON (what a cross-site form sends), changes nothing
        s.get().contentType("application/json").body("{}").post("/api/dlq/1/replay").then().statusCode(403)
                .body("code", equalTo(9003));
        s.get().contentType("application/x-www-form-urlencoded").header(ConsoleAccess.CSRF_HEADER, s.csrf())
                .body("x=1").post("/api/dlq/1/replay").then().statusCode(415).body("code", equalTo(9003));
        // another site's Origin, or a Host that is not the console's own (DNS rebinding)
        s.post().header("Origin", "http://evil.test").post("/api/dlq/1/replay").then().statusCode(403)
                .body("code", equalTo(9002));
        s.get().header("Host", "evil.test").get("/api/state").then().statusCode(403).body("code", equalTo(9002));
        given().header("Host", "evil.test").get("/").then().statusCode(403).body("code", equalTo(9002));
        // the path is judged as the router resolves it: an encoded or doubled /api is still the API
        given().urlEncodingEnabled(false).get("//api/state").then().statusCode(401).body("code", equalTo(9000));
        given().urlEncodingEnabled(false).get("/%61pi/state").then().statusCode(401).body("code", equalTo(9000));
        given().urlEncodingEnabled(false).contentType("application/json").body("{}")
                .post("/./api/dlq/1/replay").then().statusCode(401).body("code", equalTo(9000));
        // the page and health need no session, on the console's own names
        given().get("/").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void snapshotListsEveryMember() throws Exception {
        try (Connection c = Nats.connect(natsUrl)) {
            OrgFixture.apply(c);
        }
        Session s = login();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> s.get().get("/api/state").then().statusCode(200)
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
        login().post().post("/api/approvals/ap-api-nodesk/approve").then()
                .statusCode(503).body("error", anyOf(equalTo("NO_RESPONDERS"), equalTo("REQUEST_TIMEOUT")))
                .body("message", containsString("is hub-bootstrap running?"));
    }

    @Test
    void aDeadLetterIsReplayedToWhereItWasSent() throws Exception {
        try (Connection c = Nats.connect(natsUrl)) {
            OrgFixture.apply(c);
            JetStreamSubscription inbox = c.jetStream().subscribe(OrgFixture.S.inbox("cto-athena"),
                    PullSubscribeOptions.bind(OrgFixture.S.inboxStream(), "dm-cto-athena"));
            OrgFixture.deadLetter(c, "poison-api", "Replay me");
            Session s = login();
            long seq = await().atMost(Duration.ofSeconds(10)).until(() -> s.get().get("/api/dlq").then()
                    .statusCode(200).extract().jsonPath().getList("findAll { it.envelope_id == 'poison-api' }.seq",
                            Long.class),
                    l -> !l.isEmpty()).getFirst();
            s.post().post("/api/dlq/" + seq + "/replay").then().statusCode(200);
            List<Message> got = inbox.fetch(1, Duration.ofSeconds(5));
            assertThat(got).hasSize(1);
            Envelope replayed = EnvelopeCodec.decode(got.getFirst().getData());
            assertThat(replayed.subject()).isEqualTo("Replay me");
            assertThat(replayed.id()).isNotEqualTo("poison-api");
            s.post().post("/api/dlq/999999/replay").then().statusCode(409).body("error", equalTo("CLI_USAGE"));
        }
    }
}
