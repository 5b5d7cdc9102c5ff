package dev.orgmesh.agent.runtime;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

import dev.orgmesh.agent.workspace.LoopLimits;
import dev.orgmesh.messaging.flow.Backoff;

/**
 * How one agent runtime behaves; the Quarkus side fills it from {@code orgmesh.agent.*}.
 *
 * @param concurrency handlers running at once, across every source
 * @param fetchBatch most messages one source holds at once (being worked or waiting for a handler slot, kept alive
 *        with in-progress acks meanwhile): its stream lane's bounded concurrency, and so the most it asks the server
 *        for; small, so agents sharing a task queue share its work
 * @param fetchWait how long an idle pull waits before asking again (messages arrive as soon as they exist)
 * @param beaconInterval pause between presence beacons
 * @param maxHops a message with more hand-offs than this is a loop: not handled, escalated
 * @param recentIds how many handled message ids are remembered to skip redeliveries
 * @param outboxCapacity messages that may wait in the outbox while the hub is unreachable
 * @param outboxWait how long a handled message waits for its outgoing messages to be stored before it is nak'ed
 * @param publishTimeout how long one publish attempt waits for the stream's acknowledgement
 * @param publishBackoff pause between publish attempts during an outage
 * @param nakBackoff redelivery delay after a failed attempt, growing with the delivery count
 * @param handlerTimeout longest a handler may run before its message is nak'ed (long work is kept alive with
 *        in-progress acks until then)
 * @param ackTimeout how long an ack waits for the server's confirmation
 * @param maxChainRepeats how many times this agent may already appear in a thread's {@code chain} (it handled and
 *        handed the thread on that often): a message that brings the thread back once more is a loop (A → B → A …),
 *        not handled, escalated once
 * @param pairRateLimit most direct messages one sender may send this agent per minute; beyond that the sender and this
 *        agent are playing ping-pong: the first message over the limit is escalated, the rest of that minute's are
 *        not handled
 * @param clock what "now" is for deadlines, templates and the rate limit (a fixed-offset clock replays a scenario
 *        written for another date, such as the seed's walkthrough)
 * @param fastLane work a direct message from its core copy ahead of the inbox's copy (ADR 0006)
 * @param outboxJournal the directory of the outbox's journal on disk (ADR 0003, "Update (issue 23)"): every message
 *        the agent sends is forced to disk there before it is accepted and sent again after a crash; {@code null}
 *        keeps the outbox in memory only (the plain runtime's default, for tests that do not need it)
 */
public record RuntimeOptions(int concurrency, int fetchBatch, Duration fetchWait, Duration beaconInterval, int maxHops,
        int recentIds, int outboxCapacity, Duration outboxWait, Duration publishTimeout, Backoff publishBackoff,
        Backoff nakBackoff, Duration handlerTimeout, Duration ackTimeout, int maxChainRepeats, int pairRateLimit,
        Clock clock, boolean fastLane, Path outboxJournal) {

    public RuntimeOptions {
        if (concurrency < 1 || fetchBatch < 1 || maxHops < 1 || recentIds < 1 || outboxCapacity < 1
                || maxChainRepeats < 1 || pairRateLimit < 1) {
            throw new IllegalArgumentException("concurrency, fetch batch, max hops, recent ids, outbox capacity,"
                    + " max chain repeats and pair rate limit must be >= 1");
        }
        Objects.requireNonNull(clock, "clock");
    }

    /** Production defaults: 4 at a time, beacon every 10 s, 10 hops, 3 visits of a thread, 20 messages a minute. */
    public static RuntimeOptions defaults() {
        return new RuntimeOptions(4, 4, Duration.ofSeconds(5), Duration.ofSeconds(10), 10, 10_000, 10_000,
                Duration.ofMinutes(2), Duration.ofSeconds(2), Backoff.defaults(),
                new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30)), Duration.ofMinutes(15),
                Duration.ofSeconds(5), 3, 20, Clock.systemUTC(), true, null);
    }

    public RuntimeOptions withConcurrency(int n) {
        return new RuntimeOptions(n, Math.min(fetchBatch, n), fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout,
                maxChainRepeats, pairRateLimit, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withBeaconInterval(Duration d) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, d, maxHops, recentIds, outboxCapacity,
                outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout, maxChainRepeats,
                pairRateLimit, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withNakBackoff(Backoff b) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, b, handlerTimeout, ackTimeout,
                maxChainRepeats, pairRateLimit, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withFetchWait(Duration d) {
        return new RuntimeOptions(concurrency, fetchBatch, d, beaconInterval, maxHops, recentIds, outboxCapacity,
                outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout, maxChainRepeats,
                pairRateLimit, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withMaxHops(int n) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, n, recentIds, outboxCapacity,
                outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout, maxChainRepeats,
                pairRateLimit, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withOutbox(int capacity, Duration wait) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds, capacity,
                wait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout, maxChainRepeats,
                pairRateLimit, clock, fastLane, outboxJournal);
    }

    /** These options with other loop limits: visits of one thread, messages per sender and minute. */
    public RuntimeOptions withLoopLimits(int chainRepeats, int perPairPerMinute) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout,
                chainRepeats, perPairPerMinute, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withHandlerTimeout(Duration d) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, nakBackoff, d, ackTimeout, maxChainRepeats,
                pairRateLimit, clock, fastLane, outboxJournal);
    }

    public RuntimeOptions withClock(Clock c) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout,
                maxChainRepeats, pairRateLimit, c, fastLane, outboxJournal);
    }

    /** These options with the outbox's journal in {@code dir} ({@code null}: memory only). */
    public RuntimeOptions withOutboxJournal(Path dir) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout,
                maxChainRepeats, pairRateLimit, clock, fastLane, dir);
    }

    /** These options with the fast lane for direct messages on or off. */
    public RuntimeOptions withFastLane(boolean on) {
        return new RuntimeOptions(concurrency, fetchBatch, fetchWait, beaconInterval, maxHops, recentIds,
                outboxCapacity, outboxWait, publishTimeout, publishBackoff, nakBackoff, handlerTimeout, ackTimeout,
                maxChainRepeats, pairRateLimit, clock, on, outboxJournal);
    }

    /** The loop limits, as the workspace tells them to the brain. */
    public LoopLimits loopLimits() {
        return new LoopLimits(maxHops, maxChainRepeats, pairRateLimit);
    }
}
