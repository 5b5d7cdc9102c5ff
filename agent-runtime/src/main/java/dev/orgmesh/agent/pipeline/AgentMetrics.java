package dev.orgmesh.agent.pipeline;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.orgmesh.agent.brain.Outcome;

/**
 * The runtime's meters (Prometheus names in brackets): messages received per source
 * ({@code orgmesh_agent_messages_in_total}), messages published ({@code orgmesh_agent_messages_out_total}), dead
 * letters this runtime wrote ({@code orgmesh_agent_dead_letters_total}), handler time per outcome
 * ({@code orgmesh_agent_handler_seconds}), the outbox backlog ({@code orgmesh_agent_outbox_pending}), duplicates acked
 * without the brain ({@code orgmesh_agent_duplicates_total}), core copies of direct messages
 * ({@code orgmesh_agent_fast_lane_total}) and messages that went on without the shared handled
 * record ({@code orgmesh_agent_handled_record_unavailable_total}).
 */
public final class AgentMetrics {
    private final MeterRegistry registry;
    private final String agent;
    private final Counter out;
    private final Counter deadLetters;

    public AgentMetrics(MeterRegistry registry, String agent) {
        this.registry = registry;
        this.agent = agent;
        this.out = Counter.builder("orgmesh.agent.messages.out").description("messages published by the agent")
                .tag("agent", agent).register(registry);
        this.deadLetters = Counter.builder("orgmesh.agent.dead.letters")
                .description("messages this runtime moved to the dead-letter stream").tag("agent", agent)
                .register(registry);
    }

    /** A message arrived from {@code source}. */
    public void received(String source) {
        Counter.builder("orgmesh.agent.messages.in").description("messages received by the agent")
                .tag("agent", agent).tag("source", source.startsWith("events:") ? "events" : source)
                .register(registry).increment();
    }

    /** A heartbeat tick was acknowledged without waking the brain: nothing to do. */
    public void heartbeatSkipped() {
        Counter.builder("orgmesh.agent.heartbeat.skipped")
                .description("heartbeat ticks that did not wake the brain (no work: zero tokens)").tag("agent", agent)
                .register(registry).increment();
    }

    /**
     * A message was not handed to the brain because it was handled before: {@code seen} {@code local} when this
     * runtime remembered it, {@code shared} when the company's handled record named who completed it.
     */
    public void duplicate(String source, String seen) {
        Counter.builder("orgmesh.agent.duplicates")
                .description("messages acked without the brain: already handled (by this runtime or, per the handled"
                        + " record, by a peer or an earlier incarnation)")
                .tag("agent", agent).tag("source", source.startsWith("events:") ? "events" : source)
                .tag("seen", seen).register(registry).increment();
    }

    /**
     * A message went on without the handled record: its {@code op} (lookup, record) failed or was not tried; or the
     * fast lane's running mark ({@code op} mark) could not be read or put.
     */
    public void handledRecordUnavailable(String op) {
        Counter.builder("orgmesh.agent.handled.record.unavailable")
                .description("messages that went on without the shared handled record (at least once)")
                .tag("agent", agent).tag("op", op).register(registry).increment();
    }

    /**
     * The core copy of a direct message was {@code worked} (the inbox's copy adopts its settlement), {@code left} to
     * the inbox's copy (not an envelope, no matching id) or {@code dropped} (another copy had it, or every fast slot
     * was busy).
     */
    public void fastLane(String result) {
        Counter.builder("orgmesh.agent.fast.lane")
                .description("core copies of direct messages, by what became of them (ADR 0006)").tag("agent", agent)
                .tag("result", result).register(registry).increment();
    }

    /** A message was stored by its stream. */
    public void sent() {
        out.increment();
    }

    /** A dead letter was written. */
    public void deadLettered() {
        deadLetters.increment();
    }

    /** The handler ran for {@code nanos} and ended with {@code outcome} (tagged reply, send, blocked, failed, …). */
    public void handled(long nanos, Outcome outcome) {
        String kind = switch (outcome) {
            case Outcome.Reply r -> "reply";
            case Outcome.Send s -> "send";
            case Outcome.Blocked b -> "blocked";
            case Outcome.Failed f -> "failed";
            case Outcome.Nothing n -> "nothing";
        };
        Timer.builder("orgmesh.agent.handler").description("time the brain spent on one message")
                .tag("agent", agent).tag("outcome", kind).register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Reports the outbox backlog from {@code pending}. */
    public void outboxPending(Supplier<Number> pending) {
        Gauge.builder("orgmesh.agent.outbox.pending", pending).description("messages waiting to be stored")
                .tag("agent", agent).register(registry);
    }
}
