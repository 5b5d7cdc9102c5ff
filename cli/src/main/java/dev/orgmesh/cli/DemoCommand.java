package dev.orgmesh.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Deadlines;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh demo ORG}: the seed's walkthrough. Publishes the CEO's task of the seed article to the exec team
 * and prints the thread as it unfolds: Athena's report to Genesis, Genesis's follow-up assigning the work, then the
 * event path the agents drive themselves (the example rules): the implementer hands the deploy to devops, devops
 * publishes a {@code deployment} event, and an agent that follows it (security) reports on it to its manager. Exits 0
 * once all of these were seen, 1 if they did not arrive in time.
 */
@Command(name = "demo", description = "Run the seed's walkthrough: CEO task → CTO report → CEO follow-up → deployment event → security report.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file (the seed's: examples/komodo-ai.yaml).")
    Path file;

    @Mixin
    NatsOptions nats;

    @Option(names = "--wait", defaultValue = "90s", converter = TailCommand.DurationConverter.class, description = "How long to wait for the report and the follow-up (default ${DEFAULT-VALUE}).")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(file);
        Envelope task = demoTask(seedTask().withIdIfAbsent(), Instant.now());
        NatsSettings settings = nats.settings("orgmesh-demo", org);
        var out = spec.commandLine().getOut();
        CountDownLatch done = new CountDownLatch(1);
        AtomicBoolean report = new AtomicBoolean();
        AtomicBoolean followUp = new AtomicBoolean();
        Set<String> events = ConcurrentHashMap.newKeySet();
        AtomicBoolean reaction = new AtomicBoolean();
        try (Connection c = NatsConnector.connect(settings)) {
            Dispatcher d = c.createDispatcher(m -> {
                Envelope e;
                try {
                    e = EnvelopeCodec.decode(m.getData());
                } catch (RuntimeException bad) {
                    return;
                }
                if (!task.id().equals(e.thread()) && !task.id().equals(e.id())) {
                    return;
                }
                String line = TailLine.format(org.company(), m.getSubject(), m.getData(),
                        new TailLine.Filter(null, null, null, false), Instant.now());
                synchronized (out) {
                    out.println(line);
                    out.flush();
                }
                if ("report".equals(e.type()) && task.from().equals(e.to())) {
                    report.set(true);
                }
                if (task.from().equals(e.from()) && !task.id().equals(e.id()) && report.get()) {
                    followUp.set(true);
                }
                if ("event".equals(e.type()) && m.getSubject().startsWith(org.company() + ".event.")) {
                    events.add(e.id());
                }
                if ("report".equals(e.type()) && e.re() != null && events.contains(e.re())) {
                    reaction.set(true);
                }
                if (report.get() && followUp.get() && !events.isEmpty() && reaction.get()) {
                    done.countDown();
                }
            });
            d.subscribe(org.company() + ".>");
            c.flush(Duration.ofSeconds(5));
            Headers h = new Headers();
            h.put(HeaderNames.MSG_ID, task.id());
            h.put(HeaderNames.TRACEPARENT,
                    TraceContext.traceparent(null, task.threadOrId(), task.id()));
            c.jetStream(NatsConnector.jetStreamOptions(settings)).publish(NatsMessage.builder()
                    .subject(org.subjects().team("exec", task.from()))
                    .headers(h)
                    .data(EnvelopeCodec.encode(task))
                    .build());
            out.println("published the seed's task " + task.id() + " to " + org.subjects().team("exec")
                    + "; watching its thread");
            out.flush();
            boolean ok = done.await(wait.toMillis(), TimeUnit.MILLISECONDS);
            out.println(ok
                    ? "walkthrough complete: report, follow-up, deployment event and the report on it arrived"
                    : "walkthrough incomplete after " + wait.toSeconds() + " s (report: " + report.get()
                            + ", follow-up: " + followUp.get() + ", event: " + !events.isEmpty()
                            + ", report on the event: " + reaction.get()
                            + "); check ./orgmesh status and the logs");
            out.flush();
            return ok ? 0 : 1;
        }
    }

    /**
     * The seed's task as published: unchanged, except that a deadline already past (the seed's is 2026-04-07) moves
     * to two days from now, since the runtime refuses work that is already late.
     */
    static Envelope demoTask(Envelope task, Instant now) {
        var due = Deadlines.parse(task.deadline(), ZoneId.systemDefault());
        if (due.isPresent() && due.get().isBefore(now)) {
            return task.toBuilder()
                    .deadline(
                            LocalDate.ofInstant(now, ZoneId.systemDefault()).plusDays(2).toString())
                    .build();
        }
        return task;
    }

    static Envelope seedTask() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/seed-task.json")) {
            return EnvelopeCodec.decode(in.readAllBytes());
        }
    }
}
