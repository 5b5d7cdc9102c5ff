package dev.orgmesh.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

class EnvelopeCodecTest {

    static byte[] seed(String name) throws IOException {
        try (InputStream in = EnvelopeCodecTest.class.getResourceAsStream("/seed/" + name)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ceo-task.json", "cto-report.json"})
    void seedMessagesRoundTripToEquivalentJson(String file) throws IOException {
        byte[] body = seed(file);
        Envelope e = EnvelopeCodec.decode(body);
        JsonNode original = Json.mapper().readTree(body);
        JsonNode back = Json.mapper().readTree(EnvelopeCodec.encode(e));
        assertThat(back).isEqualTo(original);
        assertThat(e.extra()).as("every seed field is a known field").isEmpty();
    }

    @Test
    void seedTaskFieldsAreTyped() throws IOException {
        Envelope e = EnvelopeCodec.decode(seed("ceo-task.json"));
        assertThat(e.from()).isEqualTo("ceo-genesis");
        assertThat(e.type()).isEqualTo("task");
        assertThat(Recipient.parse(e.to())).isEqualTo(new Recipient(Recipient.Kind.TEAM, "exec"));
        assertThat(e.priority()).isEqualTo(Priority.HIGH);
        assertThat(e.deadline()).isEqualTo("2026-04-07");
        assertThat(e.artifactPath()).isEqualTo("r2://komodo-ai/tasks/node22-migration-brief.md");
        assertThat(e.id()).isNull();
    }

    @Test
    void seedReportListsAreKept() throws IOException {
        Envelope e = EnvelopeCodec.decode(seed("cto-report.json"));
        assertThat(e.breakingChanges()).hasSize(3).first().asString().startsWith("crypto.createCipher");
        assertThat(e.artifacts()).containsExactly("r2://komodo-ai/reports/node22-migration-2026-04-05.md",
                "r2://komodo-ai/reports/node22-test-results.txt");
        assertThat(e.re()).isEqualTo("Node 18 → 22 migration evaluation");
    }

    @Test
    void unknownFieldsAreKeptVerbatimAndInOrder() throws IOException {
        String json = """
                {"from":"cto-athena","type":"report","x_cost":{"usd":1.25,"tokens":[1,2,3]},"labels":["a"],"zeta":null}""";
        Envelope e = EnvelopeCodec.decode(json.getBytes(StandardCharsets.UTF_8));
        assertThat(e.extra()).containsOnlyKeys("x_cost", "labels", "zeta");
        assertThat(List.copyOf(e.extra().keySet())).containsExactly("x_cost", "labels", "zeta");
        ObjectNode back = (ObjectNode) Json.mapper().readTree(EnvelopeCodec.encode(e));
        assertThat(back).isEqualTo(Json.mapper().readTree(json));
    }

    @Test
    void malformedJsonNamesWhere() {
        assertThatThrownBy(() -> EnvelopeCodec.decode("{\"from\": \"a\",".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(OrgmeshException.class, ex -> {
                    assertThat(ex.code()).isEqualTo(ErrorCode.ENVELOPE_MALFORMED_JSON);
                    assertThat(ex.getMessage()).contains("line 1");
                });
    }

    @Test
    void trailingGarbageIsMalformed() {
        assertCode("{\"a\":1} x", ErrorCode.ENVELOPE_MALFORMED_JSON);
    }

    @Test
    void wrongTypesNameTheField() {
        assertThatThrownBy(() -> EnvelopeCodec.decode("{\"summary\": {\"x\":1}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(OrgmeshException.class, ex -> {
                    assertThat(ex.code()).isEqualTo(ErrorCode.ENVELOPE_WRONG_TYPE);
                    assertThat(ex.getMessage()).contains("'summary'").contains("object");
                });
        assertCode("{\"artifacts\": [1]}", ErrorCode.ENVELOPE_WRONG_TYPE);
        assertCode("{\"hops\": -1}", ErrorCode.ENVELOPE_WRONG_TYPE);
        assertCode("{\"hops\": \"2\"}", ErrorCode.ENVELOPE_WRONG_TYPE);
    }

    @Test
    void badValues() {
        assertCode("{\"priority\": \"asap\"}", ErrorCode.ENVELOPE_BAD_VALUE);
        assertCode("{\"ts\": \"yesterday\"}", ErrorCode.ENVELOPE_BAD_VALUE);
    }

    @Test
    void notAnObject() {
        assertCode("[1,2]", ErrorCode.ENVELOPE_NOT_AN_OBJECT);
        assertCode("\"hello\"", ErrorCode.ENVELOPE_NOT_AN_OBJECT);
        assertCode("   ", ErrorCode.ENVELOPE_MALFORMED_JSON);
    }

    @Test
    void oversizedIsRefusedBeforeParsing() {
        byte[] big = ("{\"summary\":\"" + "x".repeat(2000) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> EnvelopeCodec.decode(big, 1024))
                .isInstanceOfSatisfying(OrgmeshException.class, ex -> {
                    assertThat(ex.code()).isEqualTo(ErrorCode.ENVELOPE_TOO_LARGE);
                    assertThat(ex.getMessage()).contains("1024");
                });
    }

    @Test
    void invalidUtf8IsNamed() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> EnvelopeCodec.decode(body))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        ex -> assertThat(ex.code()).isEqualTo(ErrorCode.ENVELOPE_INVALID_UTF8));
    }

    @Test
    void deepNestingIsRefused() {
        String deep = "{\"x\":" + "[".repeat(500) + "]".repeat(500) + "}";
        assertCode(deep, ErrorCode.ENVELOPE_TOO_DEEP);
    }

    private static void assertCode(String json, ErrorCode code) {
        assertThatThrownBy(() -> EnvelopeCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(OrgmeshException.class, ex -> assertThat(ex.code()).isEqualTo(code));
    }
}
