package dev.orgmesh.protocol;

import java.io.IOException;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The value under a key of the company's handled bucket, KV {@code OM_{CO}_HANDLED} (docs/reliability.md): which
 * agent completed a message (keys {@link Subjects#handledKey}), or which agent is running (its running mark). Every
 * agent runtime of the company writes and reads it, so a task redelivered to a peer is not handled twice.
 *
 * @param by the agent that completed it (or is running)
 * @param at when it was recorded, as that agent's clock said (ISO-8601; {@code ?} when the value did not say)
 */
public record Handled(String by, String at) {
    /** What a key whose value cannot be read stands for: handled, by someone, at some time. */
    public static final Handled UNKNOWN = new Handled("?", "?");

    /** Recorded by {@code by} at {@code at}. */
    public static Handled of(String by, Instant at) {
        return new Handled(by, at.toString());
    }

    public byte[] encode() {
        return Json.write(this);
    }

    /**
     * Reads a value leniently: an empty, malformed or partial value (written by hand or by another version) is still
     * a record that the message was handled, so it decodes to {@link #UNKNOWN} or fills what is missing with
     * {@code ?}; it never throws.
     */
    public static Handled decode(byte[] value) {
        if (value == null || value.length == 0) {
            return UNKNOWN;
        }
        try {
            JsonNode n = Json.mapper().readTree(value);
            return new Handled(n.path("by").asText("?"), n.path("at").asText("?"));
        } catch (IOException | RuntimeException bad) {
            return UNKNOWN;
        }
    }
}
