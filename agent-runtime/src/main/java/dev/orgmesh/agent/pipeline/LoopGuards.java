package dev.orgmesh.agent.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import dev.orgmesh.protocol.envelope.Envelope;

/**
 * The loop guards beyond the hop limit (agent-runtime/README.md, "Escalation and loop guards"), as plain rules with
 * their own state:
 * <ul>
 * <li><b>thread cycles</b> — the runtime appends each sender to a thread's {@code chain}; when this agent already
 * appears there {@code maxChainRepeats} times, handing the thread on once more would repeat the cycle
 * (A → B → A → B …), so the message is a loop;</li>
 * <li><b>ping-pong</b> — more than {@code perMinute} direct messages from one sender to this agent within a sliding
 * minute (task queues, channels and events are not a pair talking and are not counted).
 * The first message over the limit is escalated; the others of that minute are only counted and logged, so a
 * runaway pair produces one escalation, not one per message.</li>
 * </ul>
 */
public final class LoopGuards {
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final int PAIRS_KEPT = 4096;

    private final String self;
    private final int maxChainRepeats;
    private final int perMinute;
    private final Clock clock;
    private final Map<String, Pair> pairs = new HashMap<>();

    /** What the rate limit says about one message. */
    public enum Rate {
        /** Within the limit: handle it. */
        OK,
        /** The first message over the limit in this episode: escalate it. */
        ESCALATE,
        /** Over the limit, already escalated: do not handle it. */
        DROP
    }

    public LoopGuards(String self, int maxChainRepeats, int perMinute, Clock clock) {
        this.self = self;
        this.maxChainRepeats = maxChainRepeats;
        this.perMinute = perMinute;
        this.clock = clock;
    }

    /** How often this agent already handed {@code in}'s thread on (its occurrences in {@code chain}). */
    public int visits(Envelope in) {
        return (int) in.chain().stream().filter(self::equals).count();
    }

    /** Whether handling {@code in} would take its thread round this agent once too often. */
    public boolean isCycle(Envelope in) {
        return visits(in) >= maxChainRepeats;
    }

    /** The configured limit of visits. */
    public int maxChainRepeats() {
        return maxChainRepeats;
    }

    /** The configured per-pair limit, per minute. */
    public int perMinute() {
        return perMinute;
    }

    /** Counts a message from {@code sender} and says whether it is within the limit. */
    public synchronized Rate admit(String sender) {
        if (sender == null) {
            return Rate.OK;
        }
        Instant now = clock.instant();
        Pair p = pairs.computeIfAbsent(sender, s -> new Pair());
        if (pairs.size() > PAIRS_KEPT) {
            pairs.entrySet().removeIf(e -> e.getValue().idleSince(now));
        }
        Instant cutoff = now.minus(WINDOW);
        while (!p.times.isEmpty() && !p.times.peekFirst().isAfter(cutoff)) {
            p.times.pollFirst();
        }
        p.times.addLast(now);
        if (p.times.size() <= perMinute) {
            return Rate.OK;
        }
        if (p.escalatedAt == null || !p.escalatedAt.isAfter(cutoff)) {
            p.escalatedAt = now;
            return Rate.ESCALATE;
        }
        return Rate.DROP;
    }

    private static final class Pair {
        final Deque<Instant> times = new ArrayDeque<>();
        Instant escalatedAt;

        boolean idleSince(Instant now) {
            return times.isEmpty() || times.peekLast().isBefore(now.minus(WINDOW));
        }
    }
}
