package dev.orgmesh.evidence.architecture.wire;

import java.io.IOException;

import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Presence;

/**
 * A deliberate breach of {@code ArchitectureTest}'s wire rule: a reader that declares its own copy of a wire type and
 * decodes into it (beside a decode into protocol's own type, which the rule allows).
 */
public final class OwnCopy {
    /** A second, private declaration of protocol's {@link Presence}. */
    public record MyPresence(String member, String ts, long intervalMs, String status) {
    }

    public MyPresence mine(byte[] value) throws IOException {
        return Json.mapper().readValue(value, MyPresence.class);
    }

    public Presence theirs(byte[] value) throws IOException {
        return Json.mapper().readValue(value, Presence.class);
    }
}
