package dev.orgmesh.agent.brain;

import dev.orgmesh.protocol.envelope.Envelope;

/**
 * What drives an agent: one decision per message (every kind of brain behind one small interface:
 * agent-runtime/README.md, "Brains"). The runtime calls it on a virtual thread (or, when a call cannot
 * {@link #blocking block}, where the message arrived), at most {@code concurrency} at a time, keeps the message from
 * being redelivered while it runs, publishes what it returns and only then acks. Delivery is at-least-once, so a
 * handler must be idempotent for a message id it has seen before.
 *
 * <p>This is the one brain interface: the {@code scripted}, {@code command} and {@code openai} brains implement it
 * ({@link Brains} makes the one an agent's org entry names), and the artifact stage that wraps a brain is a handler
 * too.
 *
 * <p>Throw {@link TransientException} for "try again later" (the message is redelivered with a delay); any other
 * exception is a failure of this message, retried up to the consumer's {@code max_deliver} and then dead-lettered
 * with the exception's message as the reason.
 */
@FunctionalInterface
public interface Handler {
    /** Decides what to do with {@code in}. */
    Outcome handle(Envelope in, HandlerContext ctx) throws Exception;

    /**
     * Whether a call may spend model tokens or money, so the runtime reserves budget before it (docs/oversight.md).
     * Model-backed brains say yes; scripted rules do not spend.
     */
    default boolean spendsBudget() {
        return false;
    }

    /**
     * Whether handling {@code in} may block (a model over HTTP, a process, a network store, files). Then the handler
     * is called on a virtual thread; when it cannot — in-memory rules — it is called on the thread that received the
     * message, one thread hop less (Quarkus' {@code @NonBlocking}). Saying {@code false} for a call that does block
     * stalls that thread's other messages while it waits, so the default is {@code true}.
     */
    default boolean blocking(Envelope in) {
        return true;
    }

    /** {@code handler}, declared as never blocking (see {@link #blocking}): for in-memory decisions. */
    static Handler nonBlocking(Handler handler) {
        return new Handler() {
            @Override
            public Outcome handle(Envelope in, HandlerContext ctx) throws Exception {
                return handler.handle(in, ctx);
            }

            @Override
            public boolean spendsBudget() {
                return handler.spendsBudget();
            }

            @Override
            public boolean blocking(Envelope in) {
                return false;
            }
        };
    }

    /** A handler that does nothing with any message (never blocks). */
    Handler NOTHING = nonBlocking((in, ctx) -> Outcome.nothing());
}
