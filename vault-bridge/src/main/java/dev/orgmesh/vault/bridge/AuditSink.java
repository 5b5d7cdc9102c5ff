package dev.orgmesh.vault.bridge;

import java.util.List;
import java.util.Map;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.vault.store.SecretPath;

/**
 * Where the bridge reports what it did: every access attempt and every rotation, with names and versions and never a
 * value. The NATS implementation ({@link NatsEvents}) publishes them as org events, so they land in the events stream
 * and, through it, in the audit stream.
 */
public interface AuditSink {
    /**
     * One request, granted or not.
     *
     * @param agent the agent of the subject the request came on
     * @param names the names asked for (empty when the request could not be read or verified)
     * @param granted whether the values were sent
     * @param code why not, when not granted
     * @param reason the error message, when not granted (names and ids only)
     * @param versions for a granted request, the version sent per name
     * @param nonce the request's nonce, when it could be read, to match the event to the request
     */
    record Access(String agent, List<String> names, boolean granted, ErrorCode code, String reason,
            Map<String, Integer> versions, String nonce) {
        public Access {
            names = List.copyOf(names);
            versions = versions == null ? Map.of() : Map.copyOf(versions);
        }
    }

    /**
     * A stored value changed.
     *
     * @param path the secret's path
     * @param version its new version, 0 when it was removed
     * @param readers the agents that read it and should fetch it again
     */
    record Rotation(SecretPath path, int version, List<String> readers) {
        public Rotation {
            readers = List.copyOf(readers);
        }
    }

    void accessed(Access access);

    void rotated(Rotation rotation);

    /** A sink that drops everything, for benchmarks and unit tests. */
    AuditSink NONE = new AuditSink() {
        @Override
        public void accessed(Access access) {
        }

        @Override
        public void rotated(Rotation rotation) {
        }
    };
}
