package dev.orgmesh.heartbeat.service;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.assets.OrgDocument;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.Metrics;
import dev.orgmesh.testkit.NatsTestResource;

/** The service follows the org stored on the hub: schedules change without a restart. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class HeartbeatServiceTest {
    static final String ORG = """
            company: hbq
            defaults: { heartbeat: { every: 1s } }
            teams: { ops: {} }
            humans: [ { id: boss } ]
            agents:
              - { id: a1, role: role-ops, team: ops, reports_to: boss }
            """;

    @ConfigProperty(name = "orgmesh.nats.url")
    String url;

    @Test
    void metricsCountTicksAndTheirLateness() throws Exception {
        Org org = OrgLoader.parse(ORG, "test");
        String before = given().get("/q/metrics").then().statusCode(200).extract().asString();
        double ticks = Metrics.value(before, "orgmesh_heartbeat_ticks_total", "catch_up=\"false\"");
        double timed = Metrics.value(before, "orgmesh_heartbeat_tick_lateness_seconds_count");
        try (Connection c = Nats.connect(url)) {
            storeOrgAndAwaitFirstTick(c, org, ConcurrentHashMap.newKeySet());
        }
        // the ticks are counted right after they are handed to NATS, which may be after a subscriber has one
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            String after = given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(Metrics.value(after, "orgmesh_heartbeat_ticks_total", "catch_up=\"false\""))
                    .isGreaterThan(ticks);
            assertThat(Metrics.value(after, "orgmesh_heartbeat_tick_lateness_seconds_count")).isGreaterThan(timed);
            assertThat(after).contains("orgmesh_heartbeat_missed_slots_total");
        });
    }

    @Test
    void schedulesFollowTheStoredOrgLive() throws Exception {
        Org org = OrgLoader.parse(ORG, "test");
        try (Connection c = Nats.connect(url)) {
            Set<String> ticked = ConcurrentHashMap.newKeySet();
            AssetApplier applier = storeOrgAndAwaitFirstTick(c, org, ticked);

            String grown = ORG + "  - { id: a2, role: role-ops, team: ops, reports_to: a1 }\n";
            Org next = OrgLoader.parse(grown, "test");
            OrgAssets more = OrgAssets.of(next, AssetLimits.defaults());
            applier.apply(more, applier.plan(more), false);
            c.keyValue(org.subjects().orgBucket()).put(OrgDocument.KEY, grown.getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(10)).until(() -> ticked.contains("a2"));
            assertThat(ticked).containsExactlyInAnyOrder("a1", "a2");
        }
    }

    /**
     * Applies {@code org}'s assets, stores it for the service to follow, and waits until a1's first tick; every tick's
     * recipient goes into {@code ticked}. Returns the applier, for a later change of the org.
     */
    private static AssetApplier storeOrgAndAwaitFirstTick(Connection c, Org org, Set<String> ticked)
            throws Exception {
        AssetApplier applier = new AssetApplier(c.jetStreamManagement(), c.keyValueManagement(),
                org.subjects().assetPrefix());
        OrgAssets assets = OrgAssets.of(org, AssetLimits.defaults());
        applier.apply(assets, applier.plan(assets), false);
        Dispatcher d = c.createDispatcher(m -> ticked.add(EnvelopeCodec.decode(m.getData()).to()));
        d.subscribe("hbq.heartbeat.>");
        OrgDocument.put(c.keyValue(org.subjects().orgBucket()), ORG);
        await().atMost(Duration.ofSeconds(15)).until(() -> ticked.contains("a1"));
        return applier;
    }
}
