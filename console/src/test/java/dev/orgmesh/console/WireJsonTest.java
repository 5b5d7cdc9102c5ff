package dev.orgmesh.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.NatsTestResource;

/**
 * The {@code ObjectMapper} Quarkus manages in a service (service-support's {@code WireJsonCustomizer}) and
 * protocol's {@link Json#mapper()} read and write wire types alike.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class WireJsonTest {
    @Inject
    ObjectMapper managed;

    private final Approval approval = new Approval("ap-1", "spend", Approval.PENDING, "komodo-ai.dm.cfo.ceo", "m-1",
            "ceo", "cfo", "task", "buy GPUs", Json.mapper().createObjectNode().put("id", "m-1"), List.of("board"),
            Instant.parse("2026-12-08T02:00:00Z"), Instant.parse("2026-12-08T03:00:00.5Z"), "deny", null, null, null);

    @Test
    void aWireRecordWritesTheSameBytesAndReadsBackThroughEither() throws Exception {
        byte[] ours = Json.mapper().writeValueAsBytes(approval);
        byte[] theirs = managed.writeValueAsBytes(approval);

        assertThat(new String(theirs, StandardCharsets.UTF_8)).isEqualTo(new String(ours, StandardCharsets.UTF_8))
                .contains("\"message_id\":\"m-1\"", "\"held_at\":\"2026-12-08T02:00:00Z\"");
        assertThat(managed.readValue(ours, Approval.class)).isEqualTo(approval);
        assertThat(Json.mapper().readValue(theirs, Approval.class)).isEqualTo(approval);
    }

    @Test
    void anEnvelopeRoundTripsThroughTheManagedMapper() throws Exception {
        Envelope e = Envelope.builder().id("m-2").from("ceo").to("cfo").type("question").subject("budget?")
                .thread("t-1").chain(List.of("ceo")).hops(1).ts(Instant.parse("2026-12-08T02:00:00Z"))
                .extra("x_custom", Json.mapper().getNodeFactory().textNode("kept")).build();

        JsonNode tree = managed.readTree(EnvelopeCodec.encode(e));
        Envelope back = EnvelopeCodec.fromTree((ObjectNode) tree);

        assertThat(back).isEqualTo(e);
        assertThat(managed.writeValueAsString(tree)).isEqualTo(new String(EnvelopeCodec.encode(e),
                StandardCharsets.UTF_8));
    }

    @Test
    void unknownFieldsAreIgnoredByBoth() throws Exception {
        String json = "{\"id\":\"ap-2\",\"status\":\"approved\",\"field_from_a_newer_version\":{\"a\":1}}";

        Approval ours = Json.mapper().readValue(json, Approval.class);
        Approval theirs = managed.readValue(json, Approval.class);

        assertThat(theirs).isEqualTo(ours);
        assertThat(theirs.status()).isEqualTo("approved");
    }

    @Test
    void duplicateKeysAndTrailingTokensAreRefusedByBoth() {
        for (ObjectMapper m : List.of(Json.mapper(), managed)) {
            assertThatThrownBy(() -> m.readValue("{\"id\":\"a\",\"id\":\"b\"}", Approval.class))
                    .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Duplicate field 'id'");
            assertThatThrownBy(() -> m.readValue("{\"id\":\"a\"} {}", Approval.class))
                    .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Trailing token");
        }
    }

    @Test
    void nestingBeyondTheLimitIsRefusedByBoth() {
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        for (ObjectMapper m : List.of(Json.mapper(), managed)) {
            assertThatThrownBy(() -> m.readTree(deep)).isInstanceOf(JsonProcessingException.class)
                    .hasMessageContaining("nesting depth");
        }
    }
}
