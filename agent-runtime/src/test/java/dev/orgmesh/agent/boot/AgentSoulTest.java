package dev.orgmesh.agent.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

class AgentSoulTest {
    static final Org ORG = OrgLoader.parse(Fixture.ORG.formatted("acme"), "test");

    @Test
    void findsTheAgentAndFillsInTheLeafnodePort() {
        AgentSoul soul = AgentSoul.of(ORG, "cto", Optional.of("nats-leaf://hub.internal"));
        assertThat(soul.agent().role()).isEqualTo("role-cto");
        assertThat(soul.hubUrl()).contains("nats-leaf://hub.internal:7422");
    }

    @Test
    void anUnknownAgentIsRefusedWithTheClosestId() {
        assertThatThrownBy(() -> AgentSoul.of(ORG, "ctoo", Optional.empty()))
                .isInstanceOfSatisfying(OrgmeshException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.AGENT_UNKNOWN);
                    assertThat(e.getMessage()).contains("cto");
                });
    }

    @Test
    void aHubOnTheClientPortIsRefused() {
        assertThatThrownBy(() -> AgentSoul.of(ORG, "cto", Optional.of("nats://hub.internal:4222")))
                .isInstanceOfSatisfying(OrgmeshException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.AGENT_WRONG_HUB_PORT);
                    assertThat(e.getMessage()).contains("7422");
                });
    }
}
