package dev.orgmesh.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh tail ORG}: prints every message said in the org as it happens, one line each; filters by team,
 * agent or thread. Heartbeat ticks and presence are hidden unless {@code --heartbeats}.
 */
@Command(name = "tail", description = "Watch the org's messages live.")
final class TailCommand implements Callable<Integer> {
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

    @Option(names = "--heartbeats", description = "Also show heartbeat ticks and presence.")
    boolean heartbeats;

    @Option(names = "--count", description = "Exit after this many lines.")
    Integer count;

    @Option(names = "--for", description = "Exit after this long (e.g. PT30S or 30s).", converter = DurationConverter.class)
    Duration duration;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(orgFile);
        TailLine.Filter filter = new TailLine.Filter(team, agent, thread, heartbeats);
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

    /** Accepts ISO-8601 ({@code PT30S}) or the org file's form ({@code 30s}). */
    static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return value.startsWith("P") ? Duration.parse(value) : dev.orgmesh.protocol.org.Durations.parse(value);
        }
    }
}
