package dev.orgmesh.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.protocol.org.Router;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh send ORG}: publishes one envelope where its {@code to} says (a member's DM, a team channel, a
 * role's task queue or the whole company), with its id as {@code Nats-Msg-Id}, and waits for JetStream to store it.
 * The envelope comes from flags, from a JSON file ({@code --file}, {@code -} for stdin), or both (flags win).
 */
@Command(name = "send", description = "Send a message into the org (stored durably before this returns).")
final class SendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path orgFile;

    @Mixin
    NatsOptions nats;

    @Option(names = "--file", paramLabel = "JSON", description = "An envelope as JSON; '-' reads standard input.")
    String file;

    @Option(names = "--from", description = "Sender member id.")
    String from;

    @Option(names = "--to", description = "Member id, team:<id>, role:<role> or all.")
    String to;

    @Option(names = "--type", description = "task, report, question, … (default: task).")
    String type;

    @Option(names = "--subject", description = "Short title.")
    String subject;

    @Option(names = "--context", description = "Background text.")
    String context;

    @Option(names = "--priority", description = "low, normal, high or urgent.")
    String priority;

    @Option(names = "--deadline", description = "A date (2026-04-07) or an instant.")
    String deadline;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(orgFile);
        Envelope.Builder b = file == null
                ? Envelope.builder().type("task")
                : EnvelopeCodec.decode(read(file)).toBuilder();
        if (from != null) {
            b.from(from);
        }
        if (to != null) {
            b.to(to);
        }
        if (type != null) {
            b.type(type);
        }
        if (subject != null) {
            b.subject(subject);
        }
        if (context != null) {
            b.context(context);
        }
        if (deadline != null) {
            b.deadline(deadline);
        }
        if (priority != null) {
            Priority p = Priority.parse(priority);
            if (p == null) {
                throw new OrgmeshException(ErrorCode.CLI_USAGE,
                        "--priority '" + priority + "': use low, normal, high or urgent");
            }
            b.priority(p);
        }
        Envelope e = b.build().withIdIfAbsent();
        if (e.from() == null || org.member(e.from()).isEmpty()) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_BAD_VALUE,
                    "'from' is " + (e.from() == null
                            ? "missing"
                            : "'" + e.from()
                                    + "', not a member of " + org.company())
                            + "; pass --from <member id>");
        }
        if (e.to() == null) {
            throw new OrgmeshException(ErrorCode.ENVELOPE_MISSING_FIELD,
                    "'to' is missing; pass --to <member>|team:<id>|role:<role>|all");
        }
        String target = new Router(org).subjectFor(e);
        NatsSettings settings = nats.settings("orgmesh-send", org);
        try (Connection c = NatsConnector.connect(settings)) {
            Headers h = new Headers();
            h.put(HeaderNames.MSG_ID, e.id());
            h.put(HeaderNames.TRACEPARENT,
                    TraceContext.traceparent(null, e.threadOrId(), e.id()));
            PublishAck ack = c.jetStream(NatsConnector.jetStreamOptions(settings))
                    .publish(NatsMessage.builder().subject(target).headers(h).data(EnvelopeCodec.encode(e)).build());
            spec.commandLine().getOut().printf("sent %s to %s (stream %s, seq %d%s)%n", e.id(), target, ack.getStream(),
                    ack.getSeqno(), ack.isDuplicate() ? ", duplicate: already stored" : "");
            spec.commandLine().getOut().flush();
            return 0;
        } catch (JetStreamApiException ex) {
            throw new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED,
                    "JetStream refused the message on " + target + ": " + ex.getMessage(), ex);
        } catch (IOException ex) {
            throw new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED, "no stream stored the message on " + target
                    + " (is the org applied? run orgmesh apply): " + ex.getMessage(), ex);
        }
    }

    private static byte[] read(String file) throws IOException {
        if (file.equals("-")) {
            try (InputStream in = System.in) {
                return in.readAllBytes();
            }
        }
        Path p = Path.of(file);
        if (!Files.exists(p)) {
            throw new OrgmeshException(ErrorCode.CLI_FILE_NOT_FOUND, "message file not found: " + p);
        }
        return Files.readAllBytes(p);
    }

}
