package dev.orgmesh.cli;

import static dev.orgmesh.cli.OrgmeshCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;

import dev.orgmesh.cli.OrgmeshCommandTest.Run;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

@NatsTest
class StatusCommandTest {
    @Test
    void showsPresenceAndHeartbeatsOfEveryMember(NatsServer server) throws Exception {
        assertThat(run("apply", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl()).status()).isZero();
        Subjects s = Subjects.of("komodo-ai");
        try (Connection c = Nats.connect(server.clientUrl())) {
            KeyValue kv = c.keyValue(s.presenceBucket());
            kv.put("cto-athena", new Presence("cto-athena", Instant.now(), 10_000, "up").encode());
            kv.put("devops-hermes",
                    new Presence("devops-hermes", Instant.now().minus(Duration.ofMinutes(5)), 10_000, "up").encode());
        }
        Run r = run("status", OrgmeshCommandTest.EXAMPLE, "-s", server.clientUrl());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines())
                .anySatisfy(l -> assertThat(l).startsWith("cto-athena").contains(" up ").contains("in "));
        assertThat(r.out().lines())
                .anySatisfy(l -> assertThat(l).startsWith("devops-hermes").contains(" down ").contains("5m ago"));
        assertThat(r.out().lines())
                .anySatisfy(l -> assertThat(l).startsWith("backend-hephaestus").contains(" unknown "));
        assertThat(r.out().lines()).anySatisfy(l -> assertThat(l).startsWith("board").contains("human"));
        assertThat(r.out()).contains("1 of 5 agents present");
    }
}
