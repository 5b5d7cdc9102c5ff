package dev.orgmesh.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.StorageType;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

@NatsTest
class DeadLetterDeskTest {
    @Test
    void aMessageNobodyAcksIsMovedWithItsReasonAndTheSendersManagerIsTold(NatsServer server) throws Exception {
        Org org = OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml"));
        Subjects s = org.subjects();
        AssetLimits limits = new AssetLimits(1, StorageType.Memory, Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofHours(1),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10), 1024 * 1024, Duration.ofSeconds(30),
                2, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try (Connection c = Nats.connect(server.clientUrl())) {
            AssetApplier applier = new AssetApplier(c.jetStreamManagement(), c.keyValueManagement(), s.assetPrefix());
            OrgAssets assets = OrgAssets.of(org, limits);
            applier.apply(assets, applier.plan(assets), false);
            try (DeadLetterDesk desk = DeadLetterDesk.start(c, NatsSettings.of(server.clientUrl()), org, executor)) {
                Envelope poison = Envelope.builder().id("poison-1").from("cto-athena").to("backend-hephaestus")
                        .type("task")
                        .subject("Cannot be done").build();
                c.jetStream().publish(s.dm("backend-hephaestus", "cto-athena"), EnvelopeCodec.encode(poison),
                        PublishOptions.builder().messageId("poison-1").build());
                JetStreamSubscription sub = c.jetStream().subscribe(s.inbox("backend-hephaestus"),
                        PullSubscribeOptions.bind(s.inboxStream(), "dm-backend-hephaestus"));
                for (int attempt = 0; attempt < 2; attempt++) {
                    List<Message> got = sub.fetch(1, Duration.ofSeconds(5));
                    assertThat(got).hasSize(1);
                    got.getFirst().nak();
                }
                // the server announces max deliveries when it would deliver once more, so keep asking like a runtime does
                assertThat(sub.fetch(1, Duration.ofSeconds(1))).as("not delivered a third time").isEmpty();
                await().atMost(Duration.ofSeconds(10)).until(
                        () -> c.jetStreamManagement().getStreamInfo(s.dlqStream()).getStreamState().getMsgCount() == 1);
                var dead = c.jetStreamManagement().getMessage(s.dlqStream(), 1);
                assertThat(dead.getHeaders().getFirst("Orgmesh-Dlq-Reason")).contains("delivered 2 times");
                assertThat(dead.getHeaders().getFirst("Orgmesh-Dlq-Subject"))
                        .isEqualTo(s.dm("backend-hephaestus", "cto-athena"));

                JetStreamSubscription ceo = c.jetStream().subscribe(s.inbox("ceo-genesis"),
                        PullSubscribeOptions.bind(s.inboxStream(), "dm-ceo-genesis"));
                List<Message> told = ceo.fetch(5, Duration.ofSeconds(5));
                assertThat(told).hasSize(1);
                Envelope esc = EnvelopeCodec.decode(told.getFirst().getData());
                assertThat(esc.type()).isEqualTo("escalation");
                assertThat(esc.re()).isEqualTo("poison-1");
                assertThat(esc.context()).contains("OM-2005").contains("dead-lettered");
                assertThat(esc.extra().get("original").get("subject").textValue()).isEqualTo("Cannot be done");
            }
        } finally {
            executor.shutdownNow();
        }
    }
}
