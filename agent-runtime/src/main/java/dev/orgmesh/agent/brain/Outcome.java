package dev.orgmesh.agent.brain;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.orgmesh.protocol.envelope.Envelope;

/**
 * What a handler decided. The runtime publishes every envelope of an outcome (filling in {@code from}, {@code id}
 * and {@code ts} when absent) before it acks the message, and escalates {@link Blocked} and {@link Failed} to the
 * agent's manager (agent-runtime/README.md, "Escalation and loop guards") — the runtime, not the brain, escalates.
 */
public sealed interface Outcome {
    /**
     * The answer to the message: for a request on {@code {co}.ask.{self}} it is sent to the requester's reply
     * subject; otherwise it is published to its {@code to} (usually the sender's DM). {@code also} are published too.
     */
    record Reply(Envelope reply, List<Envelope> also) implements Outcome {
        public Reply {
            Objects.requireNonNull(reply, "reply");
            also = List.copyOf(also);
        }
    }

    /** Messages to publish, each to its {@code to}; nothing is sent back to a requester beyond an empty answer. */
    record Send(List<Envelope> messages) implements Outcome {
        public Send {
            messages = List.copyOf(messages);
        }
    }

    /**
     * The brain cannot proceed without help; the manager is told, the message is done. {@code also}: what its actions
     * sent before it stopped, which still leaves.
     */
    record Blocked(String reason, List<Envelope> also) implements Outcome {
        public Blocked {
            also = also == null ? List.of() : List.copyOf(also);
        }

        public Blocked(String reason) {
            this(reason, List.of());
        }
    }

    /**
     * The brain tried and failed for a reason retrying will not fix; the manager is told, the message is done.
     * {@code also}: what its actions sent before it failed, which still leaves.
     */
    record Failed(String reason, List<Envelope> also) implements Outcome {
        public Failed {
            also = also == null ? List.of() : List.copyOf(also);
        }

        public Failed(String reason) {
            this(reason, List.of());
        }
    }

    /** Nothing to say. */
    record Nothing() implements Outcome {
    }

    static Outcome reply(Envelope reply, Envelope... also) {
        return new Reply(reply, List.of(also));
    }

    static Outcome send(Envelope... messages) {
        return new Send(List.of(messages));
    }

    static Outcome blocked(String reason) {
        return new Blocked(reason);
    }

    static Outcome failed(String reason) {
        return new Failed(reason);
    }

    static Outcome nothing() {
        return new Nothing();
    }

    /** This outcome with {@code acted} (what the brain's actions queued) sent as well, after its own messages. */
    default Outcome with(List<Envelope> acted) {
        if (acted.isEmpty()) {
            return this;
        }
        return switch (this) {
            case Reply r -> new Reply(r.reply(), concat(r.also(), acted));
            case Send s -> new Send(concat(s.messages(), acted));
            case Blocked b -> new Blocked(b.reason(), concat(b.also(), acted));
            case Failed f -> new Failed(f.reason(), concat(f.also(), acted));
            case Nothing n -> new Send(acted);
        };
    }

    private static List<Envelope> concat(List<Envelope> a, List<Envelope> b) {
        ArrayList<Envelope> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Every envelope this outcome publishes through the outbox (for a request, the reply is not among them). */
    default List<Envelope> published(boolean isRequest) {
        return switch (this) {
            case Reply r -> {
                if (isRequest) {
                    yield r.also();
                }
                ArrayList<Envelope> all = new ArrayList<>();
                all.add(r.reply());
                all.addAll(r.also());
                yield all;
            }
            case Send s -> s.messages();
            case Blocked b -> b.also();
            case Failed f -> f.also();
            case Nothing n -> List.of();
        };
    }
}
