package dev.orgmesh.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.BudgetRecords;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh budget ORG ls} shows every limit and counter; {@code orgmesh budget ORG set SCOPE ID --tokens-per-day
 * N …} asks the budget desk to change a limit (an agent waiting on it goes on within a second).
 */
@Command(name = "budget", description = "Show budgets and spend, or set a limit (docs/oversight.md).")
final class BudgetCommand implements Callable<Integer> {
    enum Verb {
        ls, set
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ORG", description = "The org file.")
    Path orgFile;

    @Parameters(index = "1", paramLabel = "VERB", description = "ls or set.")
    Verb verb;

    @Parameters(index = "2", arity = "0..1", paramLabel = "SCOPE", description = "set: agent, line, team or company.")
    String scope;

    @Parameters(index = "3", arity = "0..1", paramLabel = "ID", description = "set: the agent, manager, team or company id.")
    String id;

    @Option(names = "--tokens-per-day", paramLabel = "N")
    Long tokensPerDay;

    @Option(names = "--tokens-per-month", paramLabel = "N")
    Long tokensPerMonth;

    @Option(names = "--usd-per-day", paramLabel = "USD")
    Double usdPerDay;

    @Option(names = "--usd-per-month", paramLabel = "USD")
    Double usdPerMonth;

    @Mixin
    NatsOptions nats;

    @Override
    public Integer call() throws Exception {
        Org org = OrgLoader.load(orgFile);
        NatsSettings settings = nats.settings("orgmesh-budget", org);
        PrintWriter out = spec.commandLine().getOut();
        try (Connection c = NatsConnector.connect(settings)) {
            if (verb == Verb.ls) {
                KeyValue kv = c.keyValue(org.subjects().budgetsBucket(),
                        KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
                out.println("limits in the org file: company " + org.oversight().companyBudget() + ", teams "
                        + org.oversight().teamBudgets() + ", agents " + org.oversight().agentBudgets());
                for (String key : kv.keys().stream().sorted().toList()) {
                    KeyValueEntry e = kv.get(key);
                    if (e != null && e.getValue() != null) {
                        out.printf("%-48s %s%n", key,
                                new String(e.getValue(), StandardCharsets.UTF_8));
                    }
                }
            } else {
                if (scope == null || id == null) {
                    throw new OrgmeshException(ErrorCode.CLI_USAGE, "budget set needs SCOPE and ID, e.g. budget "
                            + orgFile + " set agent cto-athena --tokens-per-day 250000");
                }
                Map<String, Object> req = new LinkedHashMap<>();
                req.put("scope", scope);
                req.put("id", id);
                put(req, "tokens_per_day", tokensPerDay);
                put(req, "tokens_per_month", tokensPerMonth);
                put(req, "usd_per_day", usdPerDay);
                put(req, "usd_per_month", usdPerMonth);
                Message reply = c.request(org.subjects().humanBudget(Subjects.OPERATOR), Json.write(req),
                        Duration.ofSeconds(10));
                if (reply == null) {
                    throw new OrgmeshException(ErrorCode.REQUEST_TIMEOUT,
                            "the budget desk did not answer (is hub-bootstrap running?)");
                }
                if (Replies.isError(reply)) {
                    throw Replies.exception(reply, ErrorCode.BUDGET_BAD_REQUEST);
                }
                out.println(BudgetRecords.limitKey(scope, id) + " = "
                        + new String(reply.getData(), StandardCharsets.UTF_8));
            }
            out.flush();
        }
        return 0;
    }

    private static void put(Map<String, Object> req, String key, Object v) {
        if (v != null) {
            req.put(key, v);
        }
    }
}
