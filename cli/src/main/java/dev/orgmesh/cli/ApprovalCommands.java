package dev.orgmesh.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh approvals|approve|deny}: the humans' side of the approval gates (docs/oversight.md). Decisions are
 * requests to the approval desk, which checks the decider is an approver of the gate and records the decision.
 */
final class ApprovalCommands {
    private ApprovalCommands() {
    }

    /** {@code orgmesh approvals ORG}: what is held, waiting for a decision (or, with --all, decided too). */
    @Command(name = "approvals", description = "List held messages waiting for a human's decision.")
    static final class List implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ORG", description = "The org file.")
        Path orgFile;

        @Option(names = "--all", description = "Also list decided ones.")
        boolean all;

        @Mixin
        NatsOptions nats;

        @Override
        public Integer call() throws Exception {
            Org org = OrgLoader.load(orgFile);
            NatsSettings settings = nats.settings("orgmesh-approvals", org);
            PrintWriter out = spec.commandLine().getOut();
            try (Connection c = NatsConnector.connect(settings)) {
                KeyValue kv = c.keyValue(org.subjects().approvalsBucket(),
                        KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
                int n = 0;
                out.printf("%-24s %-10s %-14s %-16s %-20s %-22s %s%n", "ID", "STATUS", "GATE", "FROM", "TO",
                        "TIMEOUT", "SUMMARY");
                for (String key : kv.keys()) {
                    KeyValueEntry e = kv.get(key);
                    if (e == null || e.getValue() == null) {
                        continue;
                    }
                    Approval a = Approval.decode(e.getValue());
                    if (all || a.open()) {
                        n++;
                        out.printf("%-24s %-10s %-14s %-16s %-20s %-22s %s%n", a.id(), a.status(), a.gate(), a.from(),
                                a.to(), Approval.ESCALATED.equals(a.status())
                                        ? "(escalated)"
                                        : a.timeoutAt() + " "
                                                + a.onTimeout(),
                                a.summary());
                    }
                }
                out.printf("%d %s%n", n, all ? "approvals" : "waiting");
                out.flush();
            }
            return 0;
        }
    }

    /** {@code orgmesh approve ORG ID}. */
    @Command(name = "approve", description = "Approve a held message: it is delivered.")
    static final class Approve implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ORG", description = "The org file.")
        Path orgFile;

        @Parameters(index = "1", paramLabel = "ID", description = "The approval id (see orgmesh approvals).")
        String id;

        @Option(names = "--as", paramLabel = "HUMAN", description = "Who decides (default: the first human of the org).")
        String as;

        @Option(names = "--reason", description = "Why (optional).")
        String reason;

        @Mixin
        NatsOptions nats;

        @Override
        public Integer call() throws Exception {
            return decide(spec, orgFile, nats, true, id, as, reason);
        }
    }

    /** {@code orgmesh deny ORG ID --reason …}. */
    @Command(name = "deny", description = "Deny a held message: it is never delivered; the sender is told why.")
    static final class Deny implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ORG", description = "The org file.")
        Path orgFile;

        @Parameters(index = "1", paramLabel = "ID", description = "The approval id (see orgmesh approvals).")
        String id;

        @Option(names = "--as", paramLabel = "HUMAN", description = "Who decides (default: the first human of the org).")
        String as;

        @Option(names = "--reason", required = true, description = "Why; the sender is told.")
        String reason;

        @Mixin
        NatsOptions nats;

        @Override
        public Integer call() throws Exception {
            return decide(spec, orgFile, nats, false, id, as, reason);
        }
    }

    static int decide(CommandSpec spec, Path orgFile, NatsOptions nats, boolean approve, String id, String as,
            String reason) throws Exception {
        Org org = OrgLoader.load(orgFile);
        String by = as != null ? as : org.humans().isEmpty() ? Subjects.OPERATOR : org.humans().getFirst().id();
        NatsSettings settings = nats.settings("orgmesh-" + (approve ? "approve" : "deny"), org);
        try (Connection c = NatsConnector.connect(settings)) {
            // said as the decider: a human's own credentials may publish only under its own id (ADR 0010)
            String subject = approve ? org.subjects().humanApprove(by) : org.subjects().humanDeny(by);
            Message reply;
            try {
                reply = c.request(subject, new Approval.Decision(id, by, reason).encode(), Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw e;
            }
            if (reply == null) {
                throw new OrgmeshException(ErrorCode.REQUEST_TIMEOUT,
                        "the approval desk did not answer on " + subject + " (is hub-bootstrap running?)");
            }
            if (Replies.isError(reply)) {
                throw Replies.exception(reply, ErrorCode.APPROVAL_BAD_REQUEST);
            }
            Approval a = Approval.decode(reply.getData());
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%s %s by %s: %s %s from %s to %s%s%n", a.id(), a.status(), a.decidedBy(), a.type(),
                    a.messageId(), a.from(), a.to(), approve ? " — released" : " — not delivered; the sender is told");
            out.flush();
        }
        return 0;
    }
}
