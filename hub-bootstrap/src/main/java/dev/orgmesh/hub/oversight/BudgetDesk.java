package dev.orgmesh.hub.oversight;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.service.Service;
import io.nats.service.ServiceEndpoint;
import io.nats.service.ServiceMessage;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;

/**
 * Sets budget limits on a human's request ({@code {co}.human.budget}, docs/oversight.md): writes
 * {@code limit.{scope}.{id}} in the budgets bucket, which runtimes read before every brain call, so a raised limit
 * lets a waiting agent go on within a second. Only this desk (and the operator) may write limits; agents cannot.
 *
 * <p>Request: {@code {"scope":"agent","id":"cto-athena","tokens_per_day":250000,"usd_per_month":40}}; a measure set
 * to {@code null} removes that limit, a measure left out keeps its current value. Reply: the new limit record.
 */
public final class BudgetDesk implements AutoCloseable {
    public static final String NAME = "orgmesh-budgets";
    private static final Logger LOG = Logger.getLogger(BudgetDesk.class);
    private static final Set<String> SCOPES = Set.of("agent", "line", "team", "company");
    private static final List<String> MEASURES = List.of("tokens_per_day", "tokens_per_month", "usd_per_day",
            "usd_per_month");

    private final Connection connection;
    private final KeyValue budgets;
    private final Supplier<Org> org;
    private final Service service;

    private BudgetDesk(Connection connection, NatsSettings settings, Supplier<Org> org) throws IOException {
        this.connection = connection;
        this.org = org;
        Subjects s = org.get().subjects();
        this.budgets = connection.keyValue(s.budgetsBucket(),
                KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
        this.service = Service.builder().connection(connection).name(NAME).version("0.1.0")
                .description("orgmesh budget limits for " + s.company())
                .addServiceEndpoint(ServiceEndpoint.builder().endpointName("budget").endpointSubject(s.humanBudget())
                        .handler(this::onRequest).build())
                .build();
    }

    public static BudgetDesk start(Connection connection, NatsSettings settings, Supplier<Org> org)
            throws IOException {
        BudgetDesk d = new BudgetDesk(connection, settings, org);
        d.service.startService();
        return d;
    }

    private void onRequest(ServiceMessage msg) {
        try {
            msg.respond(connection, Json.write(set(msg.getData())));
        } catch (OrgmeshException e) {
            LOG.infof("%s budget request: %s", e.code().label(), e.getMessage());
            Replies.error(connection, msg.getReplyTo(), e);
        } catch (RuntimeException | IOException | JetStreamApiException e) {
            LOG.warnf(e, "budget request failed");
            Replies.error(connection, msg.getReplyTo(),
                    new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, "the limit was not recorded: " + e));
        }
    }

    /** Validates and applies one request; returns the stored limit record. */
    ObjectNode set(byte[] data) throws IOException, JetStreamApiException {
        JsonNode req;
        try {
            req = data == null || data.length == 0
                    ? null
                    : Json.mapper().readTree(new String(data, StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST,
                    "malformed JSON request: " + e.getOriginalMessage());
        }
        if (req == null || !req.isObject()) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST,
                    "send {\"scope\": \"agent|line|team|company\", \"id\": \"...\", \"tokens_per_day\": N, ...}");
        }
        String scope = req.path("scope").asText("");
        String id = req.path("id").asText("");
        if (!SCOPES.contains(scope)) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST,
                    "scope '" + scope + "' is not one of agent, line, team, company");
        }
        Org o = org.get();
        boolean known = switch (scope) {
            case "agent", "line" -> o.agent(id).isPresent();
            case "team" -> o.teams().containsKey(id);
            default -> o.company().equals(id);
        };
        if (!known) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, "no " + scope + " '" + id + "' in the org");
        }
        String key = "limit." + scope + "." + id;
        for (int attempt = 0; attempt < 20; attempt++) {
            KeyValueEntry cur = budgets.get(key);
            ObjectNode next = cur == null || cur.getValue() == null
                    ? Json.mapper().createObjectNode()
                    : (ObjectNode) Json.mapper().readTree(cur.getValue());
            boolean any = false;
            for (String m : MEASURES) {
                JsonNode v = req.get(m);
                if (v == null) {
                    continue;
                }
                any = true;
                if (!v.isNull() && (!v.isNumber() || v.asDouble() < 0
                        || (m.startsWith("tokens") && !v.canConvertToExactIntegral()))) {
                    throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST,
                            "'" + m + "' must be " + (m.startsWith("tokens") ? "a whole number" : "an amount")
                                    + ", 0 or more, or null");
                }
                next.set(m, v);
            }
            if (!any) {
                throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, "set at least one of " + MEASURES);
            }
            try {
                if (cur == null) {
                    budgets.create(key, Json.write(next));
                } else {
                    budgets.update(key, Json.write(next), cur.getRevision());
                }
                LOG.infof("budget %s set to %s", key, next);
                return next;
            } catch (JetStreamApiException conflict) {
                // changed meanwhile: read again
            }
        }
        throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, key + " kept changing; try again");
    }

    @Override
    public void close() {
        service.stop();
    }
}
