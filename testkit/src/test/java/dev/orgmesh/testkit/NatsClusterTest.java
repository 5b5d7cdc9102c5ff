package dev.orgmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;

@NatsTest
class NatsClusterTest {

    @Test
    void acceptsAStreamWithThreeReplicas(NatsCluster cluster) throws Exception {
        assertThat(cluster.nodes()).hasSize(3);
        assertThat(cluster.metaLeader()).isPresent();
        String stream = Clients.uniqueName("R3");
        try (Connection connection = Clients.connect(cluster.clientUrls())) {
            JetStreamManagement jsm = connection.jetStreamManagement();
            StreamInfo created = jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>")
                    .storageType(StorageType.File).replicas(3).build());
            assertThat(created.getConfiguration().getReplicas()).isEqualTo(3);

            // The leader reports its peers once they have caught up: leader + 2 replicas.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                ClusterInfo info = jsm.getStreamInfo(stream).getClusterInfo();
                assertThat(info.getLeader()).isNotBlank();
                assertThat(info.getReplicas()).hasSize(2)
                        .allSatisfy(replica -> assertThat(replica.isCurrent()).isTrue());
            });
        }
    }
}
