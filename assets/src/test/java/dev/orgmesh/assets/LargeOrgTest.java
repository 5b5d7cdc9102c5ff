package dev.orgmesh.assets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamInfo;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/**
 * An org of 2,000 agents on nats-server 2.15, which caps a stream at 1,000 consumers unless the stream sets its own
 * limit: the org applies with the production defaults (file storage), and every agent's inbox takes a DM and hands it
 * to that agent's durable, exactly once.
 */
@NatsTest
class LargeOrgTest {
    private static final Logger LOG = Logger.getLogger(LargeOrgTest.class);
    private static final int AGENTS = 2_000;
    private static final int TEAMS = 20;

    static Org org() {
        StringBuilder y = new StringBuilder("company: large\nteams:\n");
        for (int t = 0; t < TEAMS; t++) {
            y.append("  t").append(t).append(": {}\n");
        }
        y.append("humans: [ { id: board } ]\nagents:\n");
        for (int i = 0; i < AGENTS; i++) {
            int t = i % TEAMS;
            y.append("  - { id: a").append(i).append(", role: role-t").append(t).append(", team: t").append(t)
                    .append(", reports_to: board }\n");
        }
        return OrgLoader.parse(y.toString(), "large");
    }

    @Test
    void twoThousandAgentsApplyAndEveryInboxDeliversOnce(NatsServer server) throws Exception {
        Org org = org();
        Subjects s = org.subjects();
        OrgAssets assets = OrgAssets.of(org, AssetLimits.defaults());
        assertThat(assets.consumers().get(s.channelsStream())).hasSize(2 * AGENTS);
        assertThat(assets.streams().get(s.channelsStream()).getMaxConsumers()).isEqualTo(5_000);
        assertThat(assets.streams().get(s.inboxStream()).getMaxConsumers()).isEqualTo(4_000);

        NatsSettings settings = NatsSettings.of(server.clientUrl());
        try (Connection c = NatsConnector.connect(settings)) {
            AssetApplier applier = AssetApplierTest.applier(c, s, settings);
            long t0 = System.nanoTime();
            applier.apply(assets, applier.plan(assets), false);
            LOG.infof("applied %d agents' assets in %d ms", AGENTS, (System.nanoTime() - t0) / 1_000_000);
            assertThat(applier.plan(assets).changes()).as("a second plan finds nothing to do").isEmpty();

            JetStreamManagement jsm = c.jetStreamManagement();
            StreamInfo channels = jsm.getStreamInfo(s.channelsStream());
            assertThat(channels.getConfiguration().getMaxConsumers()).isEqualTo(5_000);
            assertThat(channels.getStreamState().getConsumerCount()).isEqualTo(2 * AGENTS);
            assertThat(jsm.getStreamInfo(s.inboxStream()).getStreamState().getConsumerCount())
                    .isEqualTo(AGENTS + org.humans().size());

            JetStream js = c.jetStream();
            List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) {
                acks.add(js.publishAsync(s.dm("a" + i, "a0"), ("to a" + i).getBytes(StandardCharsets.UTF_8)));
                if (acks.size() % 500 == 0) {
                    acks.getLast().get(30, TimeUnit.SECONDS);
                }
            }
            for (CompletableFuture<PublishAck> ack : acks) {
                assertThat(ack.get(30, TimeUnit.SECONDS).getStream()).isEqualTo(s.auditStream());
            }

            int delivered = 0;
            for (int i = 0; i < AGENTS; i++) {
                JetStreamSubscription inbox = js.subscribe(s.inbox("a" + i),
                        PullSubscribeOptions.bind(s.inboxStream(), Subjects.inboxConsumer("a" + i)));
                List<Message> got = inbox.fetch(1, Duration.ofSeconds(5));
                assertThat(got).as("a%d's inbox", i).hasSize(1);
                assertThat(new String(got.getFirst().getData(), StandardCharsets.UTF_8)).isEqualTo("to a" + i);
                got.getFirst().ackSync(Duration.ofSeconds(5));
                inbox.unsubscribe();
                delivered++;
            }
            assertThat(delivered).isEqualTo(AGENTS);
            assertThat(jsm.getStreamInfo(s.inboxStream()).getStreamState().getMsgCount())
                    .as("every DM was handed over and removed from the work queue").isZero();
        }
    }
}
