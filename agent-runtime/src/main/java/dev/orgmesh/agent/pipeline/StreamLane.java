package dev.orgmesh.agent.pipeline;

import java.time.Duration;

import org.jboss.logging.Logger;

import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.ConsumerConfiguration;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.MultiEmitter;

import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.messaging.flow.PullSource;

/**
 * The stream lane of one durable (inbox, team, all, tasks, events, heartbeat): its messages as a Mutiny {@link Multi},
 * each carried by the {@link Intake}'s stages with at most {@code room} of them in flight at once.
 *
 * <p>Back-pressure runs from the stages to the server: {@code transformToUni(...).merge(room)} asks the stream for
 * {@code room} messages and for one more each time one of them is settled; every request is granted to the durable's
 * {@link PullSource} as a credit, and a pull asks the server for no more messages than the credits it holds. So a
 * message is taken from the server only when the lane has room for it: the rest stay in the stream ({@code
 * num_pending}), free for another agent on a shared task queue, and nothing waits unseen in a client buffer while its
 * {@code ack_wait} runs out (a message handed to the stages is kept in progress at once). The brain's own slots bound
 * the calls across every lane to the agent's {@code concurrency}.
 *
 * <p>A message is emitted on the pull's virtual thread, and its stages start there (no hop on the way in); the lane
 * learns that it is settled from the thread that settled it. A failure of one message is recovered where it happens:
 * it is given back to the server, and the lane goes on. Closing the lane stops the pulls; messages in flight are still
 * settled (a graceful stop waits for them; after a crash, settling does nothing).
 */
public final class StreamLane implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StreamLane.class);

    private final String name;
    private final int room;
    private final Intake intake;
    private final PullSource pulls;
    private volatile MultiEmitter<? super Message> emitter;
    private volatile Cancellable subscription;

    /**
     * @param name the source's name ({@code dm}, {@code tasks}…), for the stages, logs and metrics
     * @param room most messages of this durable in flight at once (taken from the server and not yet settled)
     * @param fetchWait how long an idle pull waits before asking again
     * @param backoff pauses while the durable cannot be bound or pulled from
     */
    public StreamLane(String name, JetStream js, JetStreamManagement jsm, String stream, String durable, int room,
            Duration fetchWait, Backoff backoff, Intake intake) {
        if (room < 1) {
            throw new IllegalArgumentException("room must be >= 1, got " + room);
        }
        this.name = name;
        this.room = room;
        this.intake = intake;
        this.pulls = PullSource.onDemand(name, js, jsm, stream, durable, fetchWait, backoff, this::emit);
    }

    /** The durable's messages, pulled as they are requested. To be subscribed once. */
    Multi<Message> messages() {
        return Multi.createFrom().<Message>emitter(e -> {
            emitter = e;
            e.onTermination(pulls::close);
            pulls.start();
        })
                // every request is granted to the pulls before it reaches the emitter: a message pulled a moment
                // before the emitter counts the request waits in its buffer for that moment, never longer
                .onRequest().invoke(pulls::request);
    }

    /** Subscribes the lane: from now on messages are taken as the stages have room. Returns at once. */
    public StreamLane start() {
        subscription = messages()
                .onItem().transformToUni(this::carry).merge(room)
                .subscribe().with(ignored -> {
                }, t -> LOG.errorf(t, "the %s lane stopped on a failure, its messages stay in the stream: %s", name,
                        t.toString()));
        return this;
    }

    /** Carries one message through the stages; completes once it is settled, and never fails. */
    private Uni<Void> carry(Message msg) {
        ConsumerConfiguration cc = pulls.consumerConfiguration();
        Duration ackWait = cc != null ? cc.getAckWait() : null;
        long maxDeliver = cc != null ? cc.getMaxDeliver() : 0;
        return Uni.createFrom().<Void>emitter(settled -> intake.onJetStream(name, msg, ackWait, maxDeliver,
                () -> settled.complete(null)))
                .onFailure().recoverWithItem(t -> {
                    // nothing of the stages ran: back to the server at once rather than after ack_wait
                    LOG.errorf("%s: a message could not be taken into the pipeline (nak'd for redelivery): %s", name,
                            t.toString());
                    try {
                        msg.nak();
                    } catch (RuntimeException e) {
                        LOG.debugf("nak failed (it is redelivered after ack_wait): %s", e.toString());
                    }
                    return null;
                });
    }

    private void emit(Message m) {
        MultiEmitter<? super Message> e = emitter;
        if (e == null || e.isCancelled()) {
            // the PullSource naks it (redelivered at once) and grants its credit again
            throw new IllegalStateException("the " + name + " lane is closed");
        }
        e.emit(m);
    }

    /** The source's name. */
    public String name() {
        return name;
    }

    /** Whether the durable is bound (consumer found and subscribed). */
    public boolean isBound() {
        return pulls.isBound();
    }

    /** Stops taking messages from the server; those in flight are still settled. */
    @Override
    public void close() {
        pulls.close();
        Cancellable s = subscription;
        if (s != null) {
            s.cancel();
        }
    }
}
