package dev.orgmesh.protocol.envelope;

import java.io.ByteArrayOutputStream;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Turns bytes into {@link Envelope}s and back. Decoding is strict about what it knows (a field with the wrong JSON
 * type is an error naming the field) and lenient about what it does not (unknown fields are kept verbatim). Every
 * failure is an {@link OrgmeshException} with an {@code ENVELOPE_*} code, so a caller can dead-letter the input with
 * a reason and answer the sender.
 */
public final class EnvelopeCodec {
    /** Default size limit: 256 KiB, a quarter of nats-server's default max_payload. */
    public static final int DEFAULT_MAX_BYTES = 256 * 1024;

    /** The field names the model defines, in the order they are written. */
    public static final Set<String> KNOWN_FIELDS = Set.of("id", "from", "to", "type", "subject", "priority", "context",
            "deadline", "re", "thread", "status", "recommendation", "summary", "breaking_changes", "artifacts",
            "artifact_path", "hops", "chain", "ts");

    private EnvelopeCodec() {
    }

    /** Decodes with the default size limit. */
    public static Envelope decode(byte[] body) {
        return decode(body, DEFAULT_MAX_BYTES);
    }

    /** Decodes {@code body}, refusing anything larger than {@code maxBytes}. */
    public static Envelope decode(byte[] body, int maxBytes) {
        return fromTree(parse(body, maxBytes));
    }

    /**
     * Parses {@code body} to a JSON object without interpreting it; used when a caller needs the raw tree (to attach
     * an original to an escalation, say).
     */
    public static ObjectNode parse(byte[] body, int maxBytes) {
        if (body == null || body.length == 0) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON, "empty message body: expected a JSON object");
        }
        if (body.length > maxBytes) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_TOO_LARGE,
                    "message is " + body.length + " bytes, over the limit of " + maxBytes + " bytes");
        }
        checkUtf8(body);
        JsonNode node;
        try {
            node = Json.mapper().readTree(body);
        } catch (StreamConstraintsException e) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_TOO_DEEP,
                    "message exceeds a parser limit: " + e.getOriginalMessage(), e);
        } catch (CharConversionException e) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_INVALID_UTF8,
                    "message body is not valid UTF-8: " + e.getMessage(), e);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON,
                    "malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON, "unreadable message: " + e.getMessage(), e);
        }
        if (node == null || node.isMissingNode()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON, "empty message body: expected a JSON object");
        }
        if (!node.isObject()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_NOT_AN_OBJECT,
                    "message body is a JSON " + node.getNodeType().name().toLowerCase() + ", expected an object");
        }
        return (ObjectNode) node;
    }

    private static void checkUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_INVALID_UTF8, "message body is not valid UTF-8", e);
        }
    }

    /** Interprets a parsed JSON object as an envelope. */
    public static Envelope fromTree(ObjectNode o) {
        Envelope.Builder b = Envelope.builder()
                .id(text(o, "id"))
                .from(text(o, "from"))
                .to(text(o, "to"))
                .type(text(o, "type"))
                .subject(text(o, "subject"))
                .context(text(o, "context"))
                .deadline(text(o, "deadline"))
                .re(text(o, "re"))
                .thread(text(o, "thread"))
                .status(text(o, "status"))
                .recommendation(text(o, "recommendation"))
                .summary(text(o, "summary"))
                .breakingChanges(strings(o, "breaking_changes"))
                .artifacts(strings(o, "artifacts"))
                .artifactPath(text(o, "artifact_path"))
                .chain(strings(o, "chain"));
        String priority = text(o, "priority");
        if (priority != null) {
            Priority p = Priority.parse(priority);
            if (p == null) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE,
                        "field 'priority' is '" + priority + "'; expected one of low, normal, high, urgent");
            }
            b.priority(p);
        }
        JsonNode hops = o.get("hops");
        if (hops != null && !hops.isNull()) {
            if (!hops.isIntegralNumber() || !hops.canConvertToInt() || hops.intValue() < 0) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_WRONG_TYPE,
                        "field 'hops' must be a non-negative integer");
            }
            b.hops(hops.intValue());
        }
        String ts = text(o, "ts");
        if (ts != null) {
            try {
                b.ts(Instants.parse(ts));
            } catch (DateTimeParseException e) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE,
                        "field 'ts' is '" + ts + "'; expected an ISO-8601 instant such as 2026-04-05T14:03:00Z");
            }
        }
        Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (!KNOWN_FIELDS.contains(f.getKey())) {
                b.extra(f.getKey(), f.getValue());
            }
        }
        return b.build();
    }

    private static String text(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_WRONG_TYPE,
                    "field '" + field + "' must be a string, got " + n.getNodeType().name().toLowerCase());
        }
        return n.textValue();
    }

    private static List<String> strings(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_WRONG_TYPE,
                    "field '" + field + "' must be an array of strings, got " + n.getNodeType().name().toLowerCase());
        }
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            if (!item.isTextual()) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_WRONG_TYPE,
                        "field '" + field + "[" + i + "]' must be a string, got "
                                + item.getNodeType().name().toLowerCase());
            }
            out.add(item.textValue());
        }
        return out;
    }

    /** The envelope as a JSON object: known fields first (absent ones omitted), then the extras in order. */
    public static ObjectNode toTree(Envelope e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        put(o, "id", e.id());
        put(o, "from", e.from());
        put(o, "to", e.to());
        put(o, "type", e.type());
        put(o, "subject", e.subject());
        if (e.priority() != null) {
            o.put("priority", e.priority().wire());
        }
        put(o, "context", e.context());
        put(o, "deadline", e.deadline());
        put(o, "re", e.re());
        put(o, "thread", e.thread());
        put(o, "status", e.status());
        put(o, "recommendation", e.recommendation());
        put(o, "summary", e.summary());
        putAll(o, "breaking_changes", e.breakingChanges());
        putAll(o, "artifacts", e.artifacts());
        put(o, "artifact_path", e.artifactPath());
        if (e.hops() > 0) {
            o.put("hops", e.hops());
        }
        if (!e.chain().isEmpty()) {
            putAll(o, "chain", e.chain());
        }
        if (e.ts() != null) {
            o.put("ts", e.ts().toString());
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>(e.extra());
        extra.forEach(o::set);
        return o;
    }

    /** The envelope as compact UTF-8 JSON. */
    public static byte[] encode(Envelope e) {
        // Streams straight to bytes (no intermediate tree): this is on every publish path.
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            write(g, "id", e.id());
            write(g, "from", e.from());
            write(g, "to", e.to());
            write(g, "type", e.type());
            write(g, "subject", e.subject());
            write(g, "priority", e.priority() == null ? null : e.priority().wire());
            write(g, "context", e.context());
            write(g, "deadline", e.deadline());
            write(g, "re", e.re());
            write(g, "thread", e.thread());
            write(g, "status", e.status());
            write(g, "recommendation", e.recommendation());
            write(g, "summary", e.summary());
            write(g, "breaking_changes", e.breakingChanges());
            write(g, "artifacts", e.artifacts());
            write(g, "artifact_path", e.artifactPath());
            if (e.hops() > 0) {
                g.writeNumberField("hops", e.hops());
            }
            if (!e.chain().isEmpty()) {
                write(g, "chain", e.chain());
            }
            write(g, "ts", e.ts() == null ? null : e.ts().toString());
            for (Map.Entry<String, JsonNode> x : e.extra().entrySet()) {
                g.writeFieldName(x.getKey());
                Json.mapper().writeTree(g, x.getValue());
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new IllegalStateException("cannot encode envelope " + e.id(), ex);
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, String name, String value)
            throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    private static void write(JsonGenerator g, String name, List<String> values)
            throws IOException {
        if (values != null) {
            g.writeArrayFieldStart(name);
            for (String v : values) {
                g.writeString(v);
            }
            g.writeEndArray();
        }
    }

    private static void put(ObjectNode o, String name, String value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    private static void putAll(ObjectNode o, String name, List<String> values) {
        if (values != null) {
            ArrayNode a = o.putArray(name);
            values.forEach(a::add);
        }
    }
}
