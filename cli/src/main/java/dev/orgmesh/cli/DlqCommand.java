package dev.orgmesh.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.nats.client.Connection;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.ops.DeadLetterOps;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code orgmesh dlq ls|show|replay}: dead letters with their reasons, and a way to try them again. */
@Command(name = "dlq", description = "List, show and replay dead letters.")
final class DlqCommand implements Callable<Integer> {
    enum Verb {
        ls, show, replay
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "VERB", description = "ls, show or replay.")
    Verb verb;

    @Parameters(index = "1", paramLabel = "ORG", description = "The org file.")
    Path orgFile;

    @Parameters(index = "2", arity = "0..1", paramLabel = "SEQ", description = "The dead letter's sequence (show, replay).")
    Long seq;

    @Option(names = "--limit", defaultValue = "100", description = "How many of the newest to list (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--remove", description = "replay: remove the dead letter once replayed.")
    boolean remove;

    @Mixin
    NatsOptions nats;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(orgFile);
        NatsSettings settings = nats.settings("orgmesh-dlq", org);
        var out = spec.commandLine().getOut();
        try (Connection c = NatsConnector.connect(settings)) {
            var jso = NatsConnector.jetStreamOptions(settings);
            DeadLetterOps ops = new DeadLetterOps(c.jetStream(jso), c.jetStreamManagement(jso), org.subjects());
            switch (verb) {
                case ls -> {
                    var rows = ops.list(limit);
                    out.printf("%-6s %-24s %-32s %-8s %s%n", "SEQ", "STORED", "SENT TO", "CODE", "REASON");
                    rows.forEach(r -> out.printf("%-6d %-24s %-32s %-8s %s%n", r.seq(), r.stored(), r.originalSubject(),
                            r.code() == null ? "-" : "OM-" + r.code(), r.reason()));
                    out.printf("%d dead letters%n", rows.size());
                }
                case show -> {
                    var mi = ops.show(requireSeq());
                    out.printf("seq %d stored %s on %s%n", mi.getSeq(), mi.getTime(), mi.getSubject());
                    if (mi.getHeaders() != null) {
                        mi.getHeaders().forEach((k, v) -> out.printf("%s: %s%n", k, String.join(", ", v)));
                    }
                    out.println();
                    out.println(new String(mi.getData(), StandardCharsets.UTF_8));
                }
                case replay -> out.println("replayed as " + ops.replay(requireSeq(), remove));
            }
            out.flush();
        }
        return 0;
    }

    private long requireSeq() {
        if (seq == null) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE,
                    "dlq " + verb + " needs the dead letter's SEQ (see dlq ls)");
        }
        return seq;
    }
}
