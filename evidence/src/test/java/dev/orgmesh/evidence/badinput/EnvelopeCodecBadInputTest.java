package dev.orgmesh.evidence.badinput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.evidence.badinput.Garbage.Body;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The envelope decoder ({@code EnvelopeCodec}, protocol) against bad input: whatever the bytes, it returns an
 * envelope or throws an {@link OrgmeshException} with an {@code ENVELOPE_*} code (1100–1199) whose message names the
 * problem; never another exception. Each kind of badness also gets the specific code it deserves.
 */
class EnvelopeCodecBadInputTest {
    static final String SUITE = "EnvelopeCodec/";
    static final List<String> STRING_FIELDS = List.of("id", "from", "to", "type", "subject", "priority", "context",
            "deadline", "re", "thread", "status", "recommendation", "summary", "artifact_path", "ts");
    static final List<String> LIST_FIELDS = List.of("breaking_changes", "artifacts", "chain");

    @AfterContainer
    static void report() {
        BadInputReport.write();
    }

    @Property(tries = 200)
    void anyBytesAreAnEnvelopeOrAnEnvelopeError(@ForAll("anything") Body body) {
        outcome("anyBytes", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES);
    }

    @Property(tries = 200)
    void aTruncatedEnvelopeIsMalformedJsonOrInvalidUtf8(@ForAll("truncated") Body body) {
        String outcome = outcome("truncated", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES);
        assertThat(outcome).isEqualTo(isUtf8(body.bytes())
                ? ErrorCode.ENVELOPE_MALFORMED_JSON.name()
                : ErrorCode.ENVELOPE_INVALID_UTF8.name());
    }

    @Property(tries = 200)
    void aFieldOfTheWrongTypeIsNamed(@ForAll("wrongTypes") Body body) throws Exception {
        String field = body.kind().substring(body.kind().indexOf(':') + 1);
        JsonNode value = Json.mapper().readTree(body.bytes()).get(field.replaceAll("\\[.*", ""));
        OrgmeshException e = catchThrowableOfType(OrgmeshException.class, () -> EnvelopeCodec.decode(body.bytes()));
        if (value.isNull()) {
            assertThat(e).as("null is the same as absent").isNull();
            BadInputReport.count(SUITE + "wrongType", "accepted");
            return;
        }
        assertThat(e).as("%s", body).isNotNull();
        BadInputReport.count(SUITE + "wrongType", e.code().name());
        assertThat(e.code()).isEqualTo(ErrorCode.ENVELOPE_WRONG_TYPE);
        assertThat(e.getMessage()).contains("'" + field + "'");
    }

    @Property(tries = 200)
    void aBadPriorityTimestampOrHopCountIsABadValue(@ForAll("badValues") Body body) {
        String outcome = outcome("badValue", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES);
        assertThat(outcome).isIn(ErrorCode.ENVELOPE_BAD_VALUE.name(), ErrorCode.ENVELOPE_WRONG_TYPE.name());
    }

    @Property(tries = 200)
    void deepNestingIsTooDeep(@ForAll("deep") Body body) {
        assertThat(outcome("deeplyNested", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES))
                .isEqualTo(ErrorCode.ENVELOPE_TOO_DEEP.name());
    }

    @Property(tries = 200)
    void nestingWithinTheLimitIsKept(@ForAll("shallow") Body body) {
        assertThat(outcome("nestedWithinLimit", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES)).isEqualTo("accepted");
    }

    @Property(tries = 100)
    void aHugeMessageIsTooLargeAboveTheLimitAndReadBelowIt(@ForAll("huge") Body body) {
        String outcome = outcome("huge", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES);
        assertThat(outcome).isEqualTo(body.bytes().length > EnvelopeCodec.DEFAULT_MAX_BYTES
                ? ErrorCode.ENVELOPE_TOO_LARGE.name()
                : "accepted");
    }

    @Property(tries = 200)
    void invalidUtf8IsRefusedAsSuch(@ForAll("invalidUtf8") Body body) {
        assertThat(outcome("invalidUtf8", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES))
                .isEqualTo(ErrorCode.ENVELOPE_INVALID_UTF8.name());
    }

    @Property(tries = 200)
    void unknownMembersAreKeptVerbatim(@ForAll("unknownMembers") Body body) throws Exception {
        assertThat(outcome("unknownMembers", body.bytes(), EnvelopeCodec.DEFAULT_MAX_BYTES)).isEqualTo("accepted");
        ObjectNode sent = (ObjectNode) Json.mapper().readTree(body.bytes());
        Envelope e = EnvelopeCodec.decode(body.bytes());
        sent.properties().stream().filter(f -> !EnvelopeCodec.KNOWN_FIELDS.contains(f.getKey()))
                .forEach(f -> assertThat(e.extra()).containsEntry(f.getKey(), f.getValue()));
        assertThat(EnvelopeCodec.decode(EnvelopeCodec.encode(e))).isEqualTo(e);
    }

    @Property(tries = 200)
    void aValidEnvelopeSurvivesARoundTrip(@ForAll("envelopes") Envelope e) {
        assertThat(outcome("validRoundTrip", EnvelopeCodec.encode(e), EnvelopeCodec.DEFAULT_MAX_BYTES))
                .isEqualTo("accepted");
        assertThat(EnvelopeCodec.decode(EnvelopeCodec.encode(e))).isEqualTo(e);
    }

    @Property(tries = 100)
    void aDuplicatedMemberIsMalformed(@ForAll("envelopes") Envelope e, @ForAll("knownField") String field) {
        String json = new String(EnvelopeCodec.encode(e), StandardCharsets.UTF_8);
        String dup = "{\"" + field + "\":\"first\"," + json.substring(1);
        if (!json.contains("\"" + field + "\":")) {
            dup = "{\"" + field + "\":\"first\",\"" + field + "\":\"second\"," + json.substring(1);
        }
        assertThat(outcome("duplicateMember", dup.getBytes(StandardCharsets.UTF_8), EnvelopeCodec.DEFAULT_MAX_BYTES))
                .isEqualTo(ErrorCode.ENVELOPE_MALFORMED_JSON.name());
    }

    @Example
    void theDefaultLimitIsExact() {
        Envelope e = Envelope.builder().id("x").context("").build();
        int overhead = EnvelopeCodec.encode(e).length;
        byte[] atLimit = EnvelopeCodec
                .encode(e.toBuilder().context("y".repeat(EnvelopeCodec.DEFAULT_MAX_BYTES - overhead)).build());
        assertThat(atLimit).hasSize(EnvelopeCodec.DEFAULT_MAX_BYTES);
        assertThat(outcome("limit", atLimit, EnvelopeCodec.DEFAULT_MAX_BYTES)).isEqualTo("accepted");
        byte[] over = EnvelopeCodec
                .encode(e.toBuilder().context("y".repeat(EnvelopeCodec.DEFAULT_MAX_BYTES - overhead + 1)).build());
        assertThat(outcome("limit", over, EnvelopeCodec.DEFAULT_MAX_BYTES))
                .isEqualTo(ErrorCode.ENVELOPE_TOO_LARGE.name());
    }

    // ---- generators ----------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Body> anything() {
        return Arbitraries.oneOf(Garbage.randomBytes(512), Garbage.malformedJson(), Garbage.notAnObject(),
                Garbage.empty(), envelopes().map(e -> new Body("valid", EnvelopeCodec.encode(e))));
    }

    @Provide
    Arbitrary<Body> truncated() {
        return envelopes().flatMap(e -> Garbage.truncated(EnvelopeCodec.encode(e)));
    }

    @Provide
    Arbitrary<Body> wrongTypes() {
        return envelopes().flatMap(e -> {
            ObjectNode tree = EnvelopeCodec.toTree(e);
            Map<String, JsonNodeType> fields = new HashMap<>();
            STRING_FIELDS.forEach(f -> fields.put(f, JsonNodeType.STRING));
            LIST_FIELDS.forEach(f -> fields.put(f, JsonNodeType.ARRAY));
            Arbitrary<Body> wrongItem = Arbitraries.randomValue(r -> {
                ObjectNode o = tree.deepCopy();
                String field = LIST_FIELDS.get(r.nextInt(LIST_FIELDS.size()));
                var items = Garbage.F.arrayNode().add("ok");
                JsonNode bad;
                do {
                    bad = Garbage.value(r, 1);
                } while (bad.isTextual() || bad.isNull());
                items.add(bad);
                o.set(field, items);
                return new Body("wrong-type:" + field + "[1]", Garbage.bytes(o));
            });
            return Arbitraries.oneOf(Garbage.wrongType(tree, fields), wrongItem);
        });
    }

    @Provide
    Arbitrary<Body> badValues() {
        return envelopes().flatMap(e -> Arbitraries.randomValue(r -> {
            ObjectNode o = EnvelopeCodec.toTree(e);
            switch (r.nextInt(3)) {
                case 0 -> o.put("priority", "p" + Garbage.text(r));
                case 1 -> o.put("ts", Garbage.text(r) + "yesterday");
                default -> {
                    switch (r.nextInt(4)) {
                        case 0 -> o.put("hops", -1 - r.nextInt(1000));
                        case 1 -> o.put("hops", 1L + Integer.MAX_VALUE + r.nextInt(1000));
                        case 2 -> o.put("hops", r.nextDouble() + 0.5);
                        default -> o.put("hops", new java.math.BigInteger(200, r));
                    }
                }
            }
            return new Body("bad-value", Garbage.bytes(o));
        }));
    }

    @Provide
    Arbitrary<Body> deep() {
        return Garbage.deeplyNested(20_000);
    }

    @Provide
    Arbitrary<Body> shallow() {
        return Arbitraries.integers().between(1, Json.MAX_DEPTH - 2)
                .map(d -> new Body("nested", ("{\"id\":\"x\",\"payload\":" + Garbage.nested(d, d % 2 == 0) + "}")
                        .getBytes(StandardCharsets.UTF_8)));
    }

    @Provide
    Arbitrary<Body> huge() {
        return Garbage.huge(1_000, 4 * EnvelopeCodec.DEFAULT_MAX_BYTES);
    }

    @Provide
    Arbitrary<Body> invalidUtf8() {
        return Garbage.invalidUtf8(envelopes().map(EnvelopeCodec::encode));
    }

    @Provide
    Arbitrary<Body> unknownMembers() {
        return envelopes().flatMap(e -> Garbage.unknownMembers(EnvelopeCodec.toTree(e), EnvelopeCodec.KNOWN_FIELDS));
    }

    @Provide
    Arbitrary<String> knownField() {
        return Arbitraries.of(List.copyOf(new java.util.TreeSet<>(EnvelopeCodec.KNOWN_FIELDS)));
    }

    @Provide
    Arbitrary<Envelope> envelopes() {
        return Arbitraries.randomValue(EnvelopeCodecBadInputTest::envelope);
    }

    static Envelope envelope(Random r) {
        Envelope.Builder b = Envelope.builder().id("m-" + r.nextInt(1_000_000)).from("cto-athena")
                .to(r.nextBoolean() ? "ceo-genesis" : "team:exec").type(r.nextBoolean() ? "task" : "report")
                .subject(Garbage.text(r)).context(Garbage.text(r)).summary(Garbage.text(r));
        if (r.nextBoolean()) {
            b.priority(Priority.values()[r.nextInt(Priority.values().length)]);
        }
        if (r.nextBoolean()) {
            b.ts(Instant.ofEpochSecond(1_700_000_000L + r.nextInt(100_000_000)));
        }
        if (r.nextBoolean()) {
            b.hops(r.nextInt(10)).chain(List.of("ceo-genesis", "cto-athena"));
        }
        if (r.nextBoolean()) {
            b.artifacts(List.of(Garbage.text(r), Garbage.text(r))).breakingChanges(List.of(Garbage.text(r)));
        }
        if (r.nextBoolean()) {
            b.extra("x-" + r.nextInt(100), Garbage.value(r, 2));
        }
        return b.build();
    }

    // ---- outcome -------------------------------------------------------------------------------------------------

    /** Decodes, counts the outcome, and checks that a failure is an envelope error that says something. */
    static String outcome(String property, byte[] body, int maxBytes) {
        String outcome;
        try {
            EnvelopeCodec.decode(body, maxBytes);
            outcome = "accepted";
        } catch (OrgmeshException e) {
            assertThat(e.code().code()).as("%s", e).isBetween(1100, 1199);
            assertThat(e.getMessage()).isNotBlank();
            outcome = e.code().name();
        }
        BadInputReport.count(SUITE + property, outcome);
        return outcome;
    }

    static boolean isUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
