package dev.orgmesh.agent.pipeline;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Handled;
import dev.orgmesh.protocol.Subjects;

/**
 * The company's shared record of handled messages, KV {@code OM_{CO}_HANDLED} (docs/reliability.md). The runtime
 * creates a message's key once everything the message caused is stored and before it acks it, and the guards look the
 * key up before a message reaches the brain: a message whose ack was lost is then acked as a duplicate instead of being
 * handed to a second brain — a peer on the role's shared task queue, or this agent's next incarnation, neither of
 * which shares this process's {@link RecentIds}.
 *
 * <p>Keys are scoped by who must handle a message once ({@link Subjects#handledKey}): the role for its shared task
 * queue, the agent for everything it receives itself, so a channel message that every member of a team receives is
 * still handled by each of them. An agent may write only its own two scopes (hub-bootstrap's {@code Permissions}).
 *
 * <p>The record makes at-least-once rarer; it never stops a message. When the bucket cannot be read or written (the
 * hub is away, the bucket is not applied yet, permissions refuse) each call fails within the JetStream request timeout
 * the bucket was opened with, the runtime logs {@code OM-4006} once for the outage, counts every message that went on
 * without the record and carries on with {@link RecentIds} alone; for {@link #RETRY_AFTER} after a failure it does not
 * ask again, so an outage costs one timeout per {@link #RETRY_AFTER}, not one per message.
 */
public final class HandledRecord {
    private static final Logger LOG = Logger.getLogger(HandledRecord.class);
    /** How long after a failure the bucket is left alone before it is asked again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    /** JetStream's "wrong last sequence": the key was created already. */
    private static final int KEY_EXISTS = 10071;

    /** Opens the bucket (jnats reads the stream's info to do so); may fail while the hub is away. */
    public interface Opener {
        KeyValue open() throws IOException;
    }

    private final String bucket;
    private final String self;
    private final String role;
    private final Opener opener;
    private final AgentMetrics metrics;
    private volatile KeyValue kv;
    /** {@link System#nanoTime()} from which the bucket may be asked again. */
    private volatile long retryAt = System.nanoTime();
    private final AtomicBoolean down = new AtomicBoolean();

    public HandledRecord(String bucket, String self, String role, Opener opener, AgentMetrics metrics) {
        this.bucket = bucket;
        this.self = self;
        this.role = role;
        this.opener = opener;
        this.metrics = metrics;
    }

    /** The key of message {@code id} received from {@code source}: the role's scope for its task queue, else own. */
    String key(String source, String id) {
        return Subjects.handledKey("tasks".equals(source)
                ? Subjects.handledRoleScope(role)
                : Subjects.handledAgentScope(self), id);
    }

    /**
     * Who completed message {@code id} from {@code source}, or {@code null} when nobody did as far as the record knows
     * — also when the record cannot be read, which is counted and logged (the caller goes on at least once).
     */
    Handled lookup(String source, String id) {
        if (!available("lookup")) {
            return null;
        }
        String key = key(source, id);
        try {
            KeyValueEntry e = bucket().get(key);
            answered();
            return e == null ? null : Handled.decode(e.getValue());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            failed("lookup", key, e);
            return null;
        }
    }

    /**
     * Records message {@code id} from {@code source} as completed by this agent at {@code at}. A key that exists
     * already means another runtime completed it too (both were handed it before either recorded it): logged, not an
     * error. A failure is counted and logged; the message is acked all the same, its outputs are stored. Returns
     * whether the record holds the key now.
     */
    boolean record(String source, String id, Instant at) {
        if (!available("record")) {
            return false;
        }
        String key = key(source, id);
        try {
            bucket().create(key, Handled.of(self, at).encode());
            answered();
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == KEY_EXISTS) {
                answered();
                LOG.infof("%s was recorded as handled before %s finished it too (it reached two brains before either"
                        + " recorded it): %s", id, self, key);
                return true;
            }
            failed("record", key, e);
        } catch (IOException | RuntimeException e) {
            failed("record", key, e);
        }
        return false;
    }

    /**
     * The key that says a runtime of this agent is running, {@code agent.{agent}._.running} (two tokens after the
     * scope, so no message id can be it). A runtime with the fast lane puts it when it starts and again with every
     * beacon, and deletes it when it stops gracefully; it expires with the records it stands for.
     */
    public static String runningKey(String agent) {
        return Subjects.handledAgentScope(agent) + "._.running";
    }

    private String runningKey() {
        return runningKey(self);
    }

    /**
     * Whether an earlier runtime of this agent may have ended without stopping gracefully — its running mark is still
     * there — and so may have handled direct messages from their core copies that their inbox still holds
     * (ADR 0006). {@code true} also when the record cannot be read: the caller then looks such messages up, which is
     * only slower.
     */
    public boolean earlierRunMayHaveCrashed() {
        if (!available("mark")) {
            return true;
        }
        try {
            KeyValueEntry e = bucket().get(runningKey());
            answered();
            return e != null;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            failed("mark", runningKey(), e);
            return true;
        }
    }

    /** Puts (or refreshes) this agent's running mark. */
    public void markRunning(Instant at) {
        if (!available("mark")) {
            return;
        }
        try {
            bucket().put(runningKey(), Handled.of(self, at).encode());
            answered();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            failed("mark", runningKey(), e);
        }
    }

    /** Deletes this agent's running mark: it stopped gracefully, everything it handled was acked. */
    public void clearRunning() {
        try {
            bucket().delete(runningKey());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("running mark %s not deleted (the next start looks its inbox up): %s", runningKey(),
                    e.toString());
        }
    }

    private boolean available(String op) {
        if (System.nanoTime() - retryAt < 0) {
            metrics.handledRecordUnavailable(op);
            return false;
        }
        return true;
    }

    private KeyValue bucket() throws IOException {
        KeyValue k = kv;
        if (k == null) {
            k = opener.open();
            kv = k;
        }
        return k;
    }

    private void answered() {
        if (down.compareAndSet(true, false)) {
            LOG.infof("handled record %s answers again: %s checks it before every brain again", bucket, self);
        }
    }

    private void failed(String op, String key, Exception e) {
        retryAt = System.nanoTime() + RETRY_AFTER.toNanos();
        metrics.handledRecordUnavailable(op);
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        if (down.compareAndSet(false, true)) {
            LOG.warnf("%s handled record %s unavailable (%s of %s: %s): %s goes on with its own memory of handled"
                    + " messages only, at least once (a message whose ack is lost may reach a peer's brain again);"
                    + " asking again in %s", ErrorCode.AGENT_HANDLED_RECORD_UNAVAILABLE.label(), bucket, op, key, why,
                    self, RETRY_AFTER);
        } else {
            LOG.debugf("handled record %s still unavailable (%s of %s: %s)", bucket, op, key, why);
        }
    }
}
