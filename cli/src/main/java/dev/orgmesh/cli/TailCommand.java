package dev.orgmesh.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamStatusCheckedException;
import io.nats.client.Message;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamState;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Durations;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh tail ORG}: prints every message said in the org as it happens, one line each; filters by team,
 * agent or thread. Heartbeat ticks and presence are hidden unless {@code --heartbeats}.
 *
 * <p>
 * With {@code --since} or {@code --from-seq} it first replays what the audit stream stored (DMs, tasks and holds,
 * and the copies of channel messages, events and dead letters; ADR 0007) and then goes on live <em>from the same
 * ordered consumer</em>: one cursor over one stream, so nothing said during the switch is lost or printed twice. The
 * price is that the live part shows only what the audit stores (no heartbeat ticks, presence or request/reply
 * traffic) and shows a copied message a moment after it was said. Every such line carries its audit sequence
 * ({@code #N}) to resume from.
 */
// @formatter:off
@Command(name = "tail", description = {
        "Watch the org's messages live, or replay them from the audit stream and then go on live.",
        "",
        "Without --since/--from-seq: a live core subscription to {co}.> (heartbeats and presence with --heartbeats).",
        "With --since DURATION (30s, 10m, 1h, 2d) or --from-seq N: an ordered consumer on the audit stream starts",
        "at that time or sequence, prints what is stored, says 'caught up', and goes on reading the same stream live;",
        "one cursor, so nothing said during the switch is lost or printed twice. Lines then show their audit",
        "sequence as #N: resume after line #N with --from-seq N+1. The audit holds DMs, tasks, holds, channel",
        "messages, events and dead letters, not heartbeats, presence or request/reply traffic.",
        "--count and --for end either mode."})
// @formatter:on
final class TailCommand implements Callable<Integer> {
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int NO_MESSAGE = 10037;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path orgFile;

    @Mixin
    NatsOptions nats;

    @Option(names = "--team", description = "Only this team's channel.")
    String team;

    @Option(names = "--agent", description = "Only messages from, to or for this member.")
    String agent;

    @Option(names = "--thread", description = "Only this thread (or message id).")
    String thread;

    @Option(names = "--heartbeats", description = "Also show heartbeat ticks and presence (live only).")
    boolean heartbeats;

    @Option(names = "--since", paramLabel = "DURATION", converter = DurationConverter.class, description = "Replay what the audit stream stored in this last span (30s, 10m, 1h, 2d), then go on live.")
    Duration since;

    @Option(names = "--from-seq", paramLabel = "N", description = "Replay the audit stream from its sequence N (the #N of a replayed line), then go on live.")
    Long fromSeq;

    @Option(names = "--count", description = "Exit after this many lines.")
    Integer count;

    @Option(names = "--for", description = "Exit after this long (e.g. PT30S or 30s).", converter = DurationConverter.class)
    Duration duration;

    @Override
    public Integer call() throws Exception {
        if (since != null && fromSeq != null) {
            throw usage("--since and --from-seq both say where the replay starts; give one of them");
        }
        boolean replay = since != null || fromSeq != null;
        if (fromSeq != null && fromSeq < 1) {
            throw usage("--from-seq " + fromSeq + " is not a sequence; audit sequences start at 1");
        }
        if (replay && heartbeats) {
            throw usage("--heartbeats shows live ticks, which the audit stream does not store; it cannot be combined"
                    + " with " + (since != null ? "--since" : "--from-seq"));
        }
        Org org = OrgLoader.load(orgFile);
        TailLine.Filter filter = new TailLine.Filter(team, agent, thread, heartbeats);
        return replay ? replay(org, filter) : live(org, filter);
    }

    private int live(Org org, TailLine.Filter filter) throws Exception {
        var out = spec.commandLine().getOut();
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger printed = new AtomicInteger();
        try (Connection c = NatsConnector.connect(nats.settings("orgmesh-tail", org))) {
            Dispatcher d = c.createDispatcher(m -> {
                String line = TailLine.format(org.company(), m.getSubject(), m.getData(), filter, Instant.now());
                if (line != null) {
                    synchronized (out) {
                        out.println(line);
                        out.flush();
                    }
                    if (count != null && printed.incrementAndGet() >= count) {
                        done.countDown();
                    }
                }
            });
            d.subscribe(org.company() + ".>");
            c.flush(Duration.ofSeconds(5));
            out.println("watching " + org.company() + ".> on " + c.getConnectedUrl() + " (Ctrl-C to stop)");
            out.flush();
            if (duration != null) {
                done.await(duration.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                done.await();
            }
        }
        return 0;
    }

    /**
     * Replays the audit stream from {@code --since} or {@code --from-seq} and goes on reading it live with the same
     * ordered consumer. The replay is "caught up" once the message that was last when it started has been read.
     */
    private int replay(Org org, TailLine.Filter filter) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        NatsSettings settings = nats.settings("orgmesh-tail", org);
        String stream = org.subjects().auditStream();
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        try (Connection c = NatsConnector.connect(settings)) {
            JetStreamOptions jso = NatsConnector.jetStreamOptions(settings);
            JetStreamManagement jsm = c.jetStreamManagement(jso);
            StreamState state = state(jsm, stream, c);
            long last = state.getLastSequence();
            OrderedConsumerConfiguration occ = new OrderedConsumerConfiguration();
            long first;
            if (since != null) {
                ZonedDateTime from = ZonedDateTime.now(ZoneOffset.UTC).minus(since);
                occ.deliverPolicy(DeliverPolicy.ByStartTime).startTime(from);
                first = firstSince(jsm, stream, from, last);
                out.printf("replaying %s since %s (the last %s)%s on %s%n", stream, from.toInstant(),
                        Durations.format(since), first <= last ? ", from #" + first + " to #" + last : "",
                        c.getConnectedUrl());
            } else {
                first = fromSeq;
                if (first > last) {
                    out.printf("#%d is past the end of %s (its last message is #%d): nothing to replay%n", first,
                            stream, last);
                    first = last + 1;
                } else if (first < state.getFirstSequence()) {
                    out.printf("#%d is no longer stored in %s (its oldest is #%d): replaying from #%d%n", first,
                            stream, state.getFirstSequence(), state.getFirstSequence());
                    first = state.getFirstSequence();
                } else {
                    out.printf("replaying %s from #%d to #%d on %s%n", stream, first, last, c.getConnectedUrl());
                }
                // past the end, live starts at the next message stored rather than at N: nothing between is skipped
                occ.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(first);
            }
            boolean caughtUp = first > last;
            if (caughtUp) {
                live(out, stream, last);
            }
            out.flush();
            int printed = 0;
            try (IterableConsumer consumer = c.jetStream(jso).getStreamContext(stream).createOrderedConsumer(occ)
                    .iterate()) {
                while ((count == null || printed < count) && System.nanoTime() < deadline) {
                    long waitMs = Math.min(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                    Message m = consumer.nextMessage(Math.max(1, waitMs));
                    if (m == null) {
                        continue;
                    }
                    long seq = m.metaData().streamSequence();
                    String line = TailLine.format(org.company(), m.getSubject(), m.getData(), filter,
                            m.metaData().timestamp().toInstant(), seq);
                    if (line != null) {
                        out.println(line);
                        printed++;
                    }
                    if (!caughtUp && seq >= last) {
                        caughtUp = true;
                        live(out, stream, seq);
                    }
                    out.flush();
                }
            } catch (JetStreamStatusCheckedException e) {
                throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                        "reading " + stream + " stopped: " + e.getMessage(), e);
            }
        }
        return 0;
    }

    private static void live(PrintWriter out, String stream, long seq) {
        out.printf("caught up at #%d; reading %s live (Ctrl-C to stop)%n", seq, stream);
    }

    private static StreamState state(JetStreamManagement jsm, String stream, Connection c)
            throws IOException, JetStreamApiException {
        try {
            return jsm.getStreamInfo(stream).getStreamState();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                throw usage("no audit stream " + stream + " on " + c.getConnectedUrl()
                        + " (is the org applied? run orgmesh apply)");
            }
            throw e;
        }
    }

    /** The sequence of the first message stored at or after {@code from}, or {@code last + 1} when there is none. */
    private static long firstSince(JetStreamManagement jsm, String stream, ZonedDateTime from, long last)
            throws IOException, JetStreamApiException {
        try {
            return jsm.getFirstMessage(stream, from).getSeq();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE) {
                return last + 1;
            }
            throw e;
        }
    }

    private static OrgmeshException usage(String message) {
        return new OrgmeshException(ErrorCode.CLI_USAGE, message);
    }

    /** Accepts ISO-8601 ({@code PT30S}) or the org file's form ({@code 30s}, {@code 10m}, {@code 1h}, {@code 2d}). */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return value.startsWith("P") ? Duration.parse(value) : Durations.parse(value);
        }
    }
}
