package dev.orgmesh.messaging.flow;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Moves the messages JetStream gives up on. A message that reaches a consumer's {@code max_deliver} stays in its
 * stream; the server only announces it on {@code $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>}
 * with its {@code stream_seq}. This listens to that advisory for the given consumers, moves the message to the
 * dead-letter stream ({@link DeadLetters#move}) with the reason the caller knows (or "delivered N times without an
 * ack"), and reports each move that it made first.
 */
public final class DeadLetterMover implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeadLetterMover.class);
    /** The advisory subject prefix; stream and consumer follow. */
    public static final String ADVISORY_PREFIX = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.";

    private final Connection connection;
    private final Dispatcher dispatcher;

    /** One watched consumer. */
    public record Watched(String stream, String consumer) {
        String subject() {
            return ADVISORY_PREFIX + stream + "." + consumer;
        }
    }

    private DeadLetterMover(Connection connection, Dispatcher dispatcher) {
        this.connection = connection;
        this.dispatcher = dispatcher;
    }

    /**
     * Starts listening.
     *
     * @param reasonFor the known reason for stream/sequence (e.g. the last handler error), or {@code null}
     * @param onMoved called for each dead letter this process stored first (not for duplicates)
     * @param executor where moves run (they block on JetStream calls)
     */
    public static DeadLetterMover start(Connection connection, DeadLetters deadLetters, List<Watched> watched,
            BiFunction<String, Long, String> reasonFor, Consumer<DeadLetter> onMoved, Executor executor) {
        Dispatcher d = connection.createDispatcher(msg -> executor.execute(
                () -> onAdvisory(msg, deadLetters, reasonFor, onMoved)));
        watched.forEach(w -> d.subscribe(w.subject()));
        return new DeadLetterMover(connection, d);
    }

    private static void onAdvisory(Message msg, DeadLetters deadLetters, BiFunction<String, Long, String> reasonFor,
            Consumer<DeadLetter> onMoved) {
        try {
            JsonNode a = Json.mapper().readTree(msg.getData());
            String stream = a.path("stream").asText(null);
            long seq = a.path("stream_seq").asLong(-1);
            long deliveries = a.path("deliveries").asLong(0);
            if (stream == null || seq < 0) {
                LOG.warnf("ignoring a max-deliveries advisory without stream or stream_seq on %s", msg.getSubject());
                return;
            }
            String known = reasonFor.apply(stream, seq);
            String reason = (known != null ? known + "; " : "") + "delivered " + deliveries
                    + " times without an ack (consumer " + a.path("consumer").asText("?") + " max_deliver reached)";
            deadLetters.move(stream, seq, ErrorCode.DEAD_LETTERED, reason)
                    .filter(dl -> !dl.duplicate())
                    .ifPresent(onMoved);
        } catch (OrgmeshException e) {
            LOG.warnf("%s could not move a dead letter: %s", e.code().label(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warnf("%s could not handle a max-deliveries advisory: %s", ErrorCode.DEAD_LETTERED.label(),
                    e.toString());
        }
    }

    /** Stops listening. */
    @Override
    public void close() {
        try {
            connection.closeDispatcher(dispatcher);
        } catch (RuntimeException e) {
            LOG.debugf("closing the advisory dispatcher: %s", e.toString());
        }
    }
}
