package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.nats.client.Connection;

import dev.orgmesh.cli.ops.AuditOps;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh audit ORG --thread ID}: one piece of work across every agent, in order, from the audit stream. */
@Command(name = "audit", description = "Show one thread of work across every agent, in order, from the audit stream.")
final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path orgFile;

    @Option(names = "--thread", required = true, description = "The thread id (the id of its first message).")
    String thread;

    @Option(names = "--limit", defaultValue = "100000", description = "How many of the newest audit entries to search.")
    int limit;

    @Mixin
    NatsOptions nats;

    /** Who a message is to: its {@code to}, or for an event with none, the event it is ({@code event deploy.done}). */
    static String recipient(Subjects s, String subject, Envelope e) {
        if (e.to() != null) {
            return e.to();
        }
        String events = s.company() + ".events.";
        return s.attribution(subject).map(Subjects.Attribution::contract).filter(c -> c.startsWith(events))
                .map(c -> "event " + c.substring(events.length())).orElse("(nobody named)");
    }

    private static String header(AuditOps.Entry e, String name) {
        return e.stored().getHeaders() == null ? null : e.stored().getHeaders().getFirst(name);
    }

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(orgFile);
        NatsSettings settings = nats.settings("orgmesh-audit", org);
        var out = spec.commandLine().getOut();
        try (Connection c = NatsConnector.connect(settings)) {
            var entries = AuditOps.thread(c.jetStreamManagement(NatsConnector.jetStreamOptions(settings)),
                    org.subjects(), thread, limit);
            Subjects s = org.subjects();
            for (AuditOps.Entry e : entries) {
                String trace = header(e, HeaderNames.TRACEPARENT);
                // a dead letter's sender token is whoever filed it; the original's subject, a header the filer wrote,
                // names the original sender: shown as what the filer says, beside who filed it
                Subjects.Attribution stored = s.attribution(e.stored().getSubject()).orElse(null);
                boolean deadLetter = stored != null && stored.contract().startsWith(s.company() + ".dlq.");
                String dlqCode = deadLetter ? header(e, HeaderNames.DLQ_CODE) : null;
                String original = header(e, HeaderNames.DLQ_ORIGINAL_SUBJECT);
                String carried = dlqCode != null && original != null ? original : e.stored().getSubject();
                String real = s.attribution(carried).map(Subjects.Attribution::sender).orElse(null);
                String from = real == null || real.equals(e.envelope().from())
                        ? String.valueOf(e.envelope().from())
                        : real + " (claims " + e.envelope().from() + ")";
                if (dlqCode != null) {
                    from += " [dead letter filed by " + stored.sender() + "]";
                }
                out.printf("%s  %-28s %s → %s [%s%s] %s%s%s%n", e.firstStored(), e.stored().getSubject(),
                        from, recipient(s, e.stored().getSubject(), e.envelope()), e.envelope().type(),
                        e.envelope().status() == null ? "" : "/" + e.envelope().status(),
                        e.envelope().subject() == null ? "" : e.envelope().subject(),
                        dlqCode == null
                                ? ""
                                : "  dead-lettered OM-" + dlqCode + ": "
                                        + header(e, HeaderNames.DLQ_REASON),
                        trace == null ? "" : "  trace " + trace);
            }
            out.printf("%d messages in thread %s%n", entries.size(), thread);
            out.flush();
        }
        return 0;
    }
}
