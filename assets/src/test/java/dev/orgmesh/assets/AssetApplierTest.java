package dev.orgmesh.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

@NatsTest
class AssetApplierTest {
    static final String ORG = """
            company: %s
            teams: { exec: {}, eng: {} }
            humans: [ { id: board } ]
            agents:
              - { id: ceo, role: role-ceo, team: exec, reports_to: board, events: [deployment] }
              - { id: cto, role: role-cto, team: exec, reports_to: ceo, events: ["security.>"] }
              - { id: dev1, role: role-backend, team: eng, reports_to: cto }
              - { id: dev2, role: role-backend, team: eng, reports_to: cto }
            """;

    static final AssetLimits MEMORY = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
            Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(2), 1024 * 1024,
            Duration.ofSeconds(30), 5, 64);

    /** An envelope-shaped body for the DMs and tasks these tests publish. */
    static final byte[] BODY = "{\"from\":\"ceo\",\"type\":\"task\"}".getBytes(StandardCharsets.UTF_8);

    static Org org(String company) {
        return OrgLoader.parse(ORG.formatted(company), "test");
    }

    static AssetApplier applier(Connection c, Subjects s, NatsSettings settings) throws Exception {
        return new AssetApplier(c.jetStreamManagement(NatsConnector.jetStreamOptions(settings)),
                c.keyValueManagement(io.nats.client.KeyValueOptions.builder()
                        .jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build()),
                s.assetPrefix());
    }

    @Test
    void applyTwiceChangesNothingTheSecondTime(NatsServer server) throws Exception {
        Org org = org("twice");
        OrgAssets assets = OrgAssets.of(org, MEMORY);
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, org.subjects(), settings);
            AssetPlan first = applier.plan(assets);
            assertThat(first.of(AssetChange.Action.CREATE))
                    .as("8 streams, 7 buckets, 5 inboxes, 8 channel, 4 heartbeat, 2 event, 3 task and 1 hold consumers")
                    .hasSize(8 + 7 + 5 + 8 + 4 + 2 + 3 + 1);
            applier.apply(assets, first, false);

            AssetPlan second = applier.plan(assets);
            assertThat(second.changes()).isEmpty();
            assertThat(second.render()).isEqualTo("no changes: the server matches the org\n");

            JetStreamManagement jsm = c.jetStreamManagement();
            Subjects s = org.subjects();
            assertThat(jsm.getStreamInfo(s.inboxStream()).getConfiguration().getRetentionPolicy())
                    .isEqualTo(RetentionPolicy.WorkQueue);
            assertThat(jsm.getStreamInfo(s.inboxStream()).getConfiguration().getSources())
                    .singleElement().satisfies(src -> {
                        assertThat(src.getName()).isEqualTo(s.auditStream());
                        assertThat(src.getFilterSubject()).isEqualTo(s.dmAll());
                    });
            assertThat(jsm.getStreamInfo(s.auditStream()).getConfiguration().getSubjects())
                    .as("the audit stores DMs, tasks and holds first (ADR 0007)")
                    .containsExactlyInAnyOrder(s.dmAll(), s.tasksAll(), s.humanHoldAll());
            assertThat(jsm.getConsumerInfo(s.inboxStream(), "dm-board").getConsumerConfiguration().getFilterSubject())
                    .isEqualTo("twice.dm.board.*");
            assertThat(jsm.getConsumerNames(s.tasksStream())).containsExactlyInAnyOrder("tasks-role-backend",
                    "tasks-role-ceo", "tasks-role-cto");
            assertThat(jsm.getConsumerNames(s.eventsStream())).containsExactlyInAnyOrder("ev-ceo-deployment",
                    "ev-cto-security-gt");
            assertThat(jsm.getStreamInfo(s.auditStream()).getConfiguration().getDenyDelete()).isTrue();
            assertThat(jsm.getStreamInfo(s.auditStream()).getConfiguration().getDenyPurge()).isTrue();
            assertThat(jsm.getConsumerNames(s.holdsStream())).containsExactly("approval-desk");
            // handled ids expire one ack_wait (30 s) after the longer of the duplicate window (2 min) and 30 s × 5
            assertThat(c.keyValueManagement().getStatus(s.handledBucket()).getTtl())
                    .isEqualTo(Duration.ofMinutes(3)).isEqualTo(MEMORY.handledMaxAge());
        }
    }

    @Test
    void theHandledRecordOutlivesRedeliveriesAndTheDuplicateWindow() {
        // defaults: 10 min duplicate window, 60 s × 5 deliveries → the window, plus one ack_wait
        assertThat(AssetLimits.defaults().handledMaxAge()).isEqualTo(Duration.ofMinutes(11));
        // many short attempts (3 s × 50 = 150 s) outlast a 2 min window: they decide
        AssetLimits faults = new AssetLimits(3, StorageType.File, Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(2), 1024 * 1024,
                Duration.ofSeconds(3), 50, 64);
        assertThat(faults.handledMaxAge()).isEqualTo(Duration.ofSeconds(153));
    }

    @Test
    void aChangedLimitIsPlannedAsAnUpdate(NatsServer server) throws Exception {
        Org org = org("update");
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, org.subjects(), settings);
            OrgAssets before = OrgAssets.of(org, MEMORY);
            applier.apply(before, applier.plan(before), false);
            AssetLimits longer = new AssetLimits(1, StorageType.Memory, Duration.ofHours(2), Duration.ofHours(1),
                    Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(2), 1024 * 1024,
                    Duration.ofSeconds(45), 5, 64);
            OrgAssets after = OrgAssets.of(org, longer);
            AssetPlan plan = applier.plan(after);
            assertThat(plan.of(AssetChange.Action.UPDATE)).extracting(AssetChange::name)
                    .contains("OM_UPDATE_CHANNELS", "OM_UPDATE_INBOX/dm-ceo");
            assertThat(plan.render()).contains("max_age PT1H → PT2H").contains("ack_wait PT30S → PT45S")
                    // the handled record follows: 45 s × 5 + 45 s
                    .contains("ttl PT3M → PT4M30S");
            applier.apply(after, plan, false);
            assertThat(applier.plan(after).changes()).isEmpty();
        }
    }

    @Test
    void removingAnAgentKeepsItsConsumersUnlessPruned(NatsServer server) throws Exception {
        Org full = org("prune");
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, full.subjects(), settings);
            OrgAssets all = OrgAssets.of(full, MEMORY);
            applier.apply(all, applier.plan(all), false);

            Org smaller = OrgLoader.parse(ORG.formatted("prune")
                    .replace("  - { id: dev2, role: role-backend, team: eng, reports_to: cto }\n", ""), "test");
            assertThat(smaller.agents()).hasSize(3);
            OrgAssets less = OrgAssets.of(smaller, MEMORY);
            AssetPlan plan = applier.plan(less);
            assertThat(plan.isEmpty()).isTrue();
            assertThat(plan.of(AssetChange.Action.KEEP_EXTRA)).extracting(AssetChange::name)
                    .containsExactlyInAnyOrder("OM_PRUNE_INBOX/dm-dev2", "OM_PRUNE_CHANNELS/all-dev2",
                            "OM_PRUNE_CHANNELS/team-dev2",
                            "OM_PRUNE_HEARTBEAT/hb-dev2");
            assertThat(plan.render()).contains("pass --prune to remove");

            applier.apply(less, plan, false);
            JetStreamManagement jsm = c.jetStreamManagement();
            assertThat(jsm.getConsumerNames("OM_PRUNE_INBOX")).contains("dm-dev2");

            AssetPlan pruned = applier.apply(less, applier.plan(less), true);
            assertThat(pruned.of(AssetChange.Action.REMOVE)).hasSize(4);
            assertThat(jsm.getConsumerNames("OM_PRUNE_INBOX")).doesNotContain("dm-dev2").contains("dm-dev1");
            assertThat(applier.plan(less).changes()).isEmpty();
        }
    }

    @Test
    void auditKeepsADmAfterTheInboxHasHandedItOver(NatsServer server) throws Exception {
        Org org = org("audit");
        Subjects s = org.subjects();
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, s, settings);
            OrgAssets assets = OrgAssets.of(org, MEMORY);
            applier.apply(assets, applier.plan(assets), false);

            JetStream js = c.jetStream();
            js.publish(s.dm("cto", "ceo"), BODY, PublishOptions.builder().messageId("m-1").build());
            assertThat(js.publish(s.dm("cto", "ceo"), BODY, PublishOptions.builder().messageId("m-1").build())
                    .isDuplicate())
                    .as("the same Nats-Msg-Id inside the window is stored once").isTrue();

            JetStreamSubscription sub = js.subscribe(s.inbox("cto"),
                    PullSubscribeOptions.bind(s.inboxStream(), "dm-cto"));
            List<Message> got = sub.fetch(1, Duration.ofSeconds(5));
            assertThat(got).hasSize(1);
            got.getFirst().ackSync(Duration.ofSeconds(5));

            JetStreamManagement jsm = c.jetStreamManagement();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(jsm.getStreamInfo(s.auditStream()).getStreamState().getMsgCount()).isEqualTo(1);
                assertThat(jsm.getStreamInfo(s.inboxStream()).getStreamState().getMsgCount())
                        .as("the work queue removes a DM once its member acked it").isZero();
            });
        }
    }

    /**
     * What a whole-hub restart looks like to a stream: its consumers are not back yet when publishes are accepted
     * again. An interest-retention inbox acknowledged such a DM and dropped it at once (nats-server skips a message no
     * consumer is interested in); the audit stores it and the work queue keeps it for the consumer that comes later.
     */
    @Test
    void aDmAcknowledgedBeforeItsConsumerExistsIsDeliveredOnceTheConsumerIsBack(NatsServer server) throws Exception {
        Org org = org("early");
        Subjects s = org.subjects();
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, s, settings);
            OrgAssets all = OrgAssets.of(org, MEMORY);
            OrgAssets streamsOnly = new OrgAssets(all.streams(), java.util.Map.of(), all.buckets());
            applier.apply(streamsOnly, applier.plan(streamsOnly), false);
            JetStreamManagement jsm = c.jetStreamManagement();
            assertThat(jsm.getConsumerNames(s.inboxStream())).isEmpty();

            JetStream js = c.jetStream();
            assertThat(js.publish(s.dm("cto", "ceo"), BODY, PublishOptions.builder().messageId("early-1").build())
                    .getSeqno())
                    .as("acknowledged").isPositive();
            js.publish(s.tasks("role-backend", "cto"), BODY, PublishOptions.builder().messageId("early-2").build());

            applier.apply(all, applier.plan(all), false);
            Message dm = js.subscribe(s.inbox("cto"), PullSubscribeOptions.bind(s.inboxStream(), "dm-cto"))
                    .fetch(1, Duration.ofSeconds(5)).stream().findFirst().orElse(null);
            assertThat(dm).as("the DM waited for its consumer").isNotNull();
            assertThat(dm.getHeaders().getFirst("Nats-Msg-Id")).isEqualTo("early-1");
            Message task = js.subscribe(s.taskQueue("role-backend"),
                    PullSubscribeOptions.bind(s.tasksStream(), "tasks-role-backend"))
                    .fetch(1, Duration.ofSeconds(5)).stream().findFirst().orElse(null);
            assertThat(task).as("so did the task").isNotNull();
        }
    }

    /**
     * A work queue created next to an audit that already has history (after an old layout's inbox was removed, or a
     * queue reset) starts after the audit's last message: already-handled DMs are not handed out again; new ones are.
     */
    @Test
    void aRecreatedWorkQueueTakesOnlyWhatComesAfterIt(NatsServer server) throws Exception {
        Org org = org("renewed");
        Subjects s = org.subjects();
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, s, settings);
            OrgAssets assets = OrgAssets.of(org, MEMORY);
            applier.apply(assets, applier.plan(assets), false);
            JetStream js = c.jetStream();
            JetStreamManagement jsm = c.jetStreamManagement();
            js.publish(s.dm("cto", "ceo"), BODY, PublishOptions.builder().messageId("old-1").build());
            await().atMost(Duration.ofSeconds(5)).until(
                    () -> jsm.getStreamInfo(s.inboxStream()).getStreamState().getMsgCount() == 1);

            jsm.deleteStream(s.inboxStream());
            applier.apply(assets, applier.plan(assets), false);
            js.publish(s.dm("cto", "ceo"), BODY, PublishOptions.builder().messageId("new-1").build());
            Message got = js.subscribe(s.inbox("cto"), PullSubscribeOptions.bind(s.inboxStream(), "dm-cto"))
                    .fetch(1, Duration.ofSeconds(5)).stream().findFirst().orElse(null);
            assertThat(got).isNotNull();
            assertThat(got.getHeaders().getFirst("Nats-Msg-Id")).as("the DM sent after, not the history")
                    .isEqualTo("new-1");
            assertThat(jsm.getStreamInfo(s.inboxStream()).getStreamState().getMsgCount()).isEqualTo(1);
            assertThat(jsm.getStreamInfo(s.auditStream()).getStreamState().getMsgCount())
                    .as("the audit keeps both").isEqualTo(2);
        }
    }

    @Test
    void aStreamWhoseRetentionMustChangeIsNamedAndNothingIsChanged(NatsServer server) throws Exception {
        Org org = org("legacy");
        Subjects s = org.subjects();
        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            JetStreamManagement jsm = c.jetStreamManagement();
            // the layout before ADR 0007: an interest inbox that owns the DM subjects
            jsm.addStream(io.nats.client.api.StreamConfiguration.builder().name(s.inboxStream())
                    .subjects(s.dmAll()).retentionPolicy(RetentionPolicy.Interest).storageType(StorageType.Memory)
                    .build());
            AssetApplier applier = applier(c, s, settings);
            OrgAssets assets = OrgAssets.of(org, MEMORY);
            AssetPlan plan = applier.plan(assets);
            assertThatThrownBy(() -> applier.apply(assets, plan, false))
                    .isInstanceOf(dev.orgmesh.protocol.OrgmeshException.class)
                    .hasMessageContaining(s.inboxStream())
                    .hasMessageContaining("retention")
                    .hasMessageContaining("nats stream rm");
            assertThat(jsm.getStreamNames()).as("nothing was created or changed")
                    .filteredOn(n -> n.startsWith(s.assetPrefix())).containsExactly(s.inboxStream());
        }
    }

    @Test
    void appliesFromALeafThroughTheHubDomain(@Leaves(1) HubTopology hub) throws Exception {
        Org org = org("leafy");
        NatsSettings settings = NatsSettings.of(hub.leaf(0).clientUrl()).withDomain(HubTopology.JS_DOMAIN);
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = applier(c, org.subjects(), settings);
            OrgAssets assets = OrgAssets.of(org, MEMORY);
            applier.apply(assets, applier.plan(assets), false);
            assertThat(applier.plan(assets).changes()).isEmpty();
        }
        try (Connection direct = NatsConnector.connect(NatsSettings.of(hub.hub().clientUrl()))) {
            assertThat(direct.jetStreamManagement().getStreamNames()).contains(org.subjects().inboxStream());
        }
    }

}
