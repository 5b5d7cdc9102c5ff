package dev.orgmesh.hub.oversight;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
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

import dev.orgmesh.hub.metrics.HubMetrics;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.messaging.budget.SpendLedger;
import dev.orgmesh.protocol.BudgetWire;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.BudgetRecords;
import dev.orgmesh.protocol.org.Org;

/**
 * The budgets bucket's only writer (docs/oversight.md). It sets budget limits on a human's request
 * ({@code {co}.human.budget.{human}}): writes {@code limit.{scope}.{id}}, which the desk reads before every
 * reservation, so a raised limit lets a waiting agent go on within a second. And it keeps the spend counters for the
 * agents ({@link BudgetWire}): {@code {co}.budget.reserve.{agent}} reserves the org's reservation size on every counter
 * the agent's model calls roll up to ({@link SpendLedger}), recording the reservation as
 * {@code reservation.{agent}.{id}}; {@code {co}.budget.settle.{agent}} settles one of that agent's open reservations to
 * what the call spent. The agent is the subject's last token, which the hub lets only that agent publish, so no agent
 * can rewrite the counters that limit it, nor touch another's reservation.
 *
 * <p>Limit request: {@code {"scope":"agent","id":"cto-athena","tokens_per_day":250000,"usd_per_month":40}}; a measure
 * set to {@code null} removes that limit, a measure left out keeps its current value. Reply: the new limit record.
 */
public final class BudgetDesk implements AutoCloseable {
    public static final String NAME = "orgmesh-budgets";
    private static final Logger LOG = Logger.getLogger(BudgetDesk.class);
    private static final Set<String> SCOPES = Set.of("agent", "line", "team", "company");
    private static final List<String> MEASURES = BudgetRecords.MEASURES;

    private final Connection connection;
    private final KeyValue budgets;
    private final Supplier<Org> org;
    private final Service service;
    private final HubMetrics metrics;
    private final Clock clock = Clock.systemUTC();
    /** A call's settled tokens may be at most this many reservations (a call may use more than it reserved). */
    static final long MAX_CALL_FACTOR = 100;
    /** A call's settled cost may be at most $10,000. */
    static final long MAX_CALL_MICRO_USD = 10_000_000_000L;

    private BudgetDesk(Connection connection, NatsSettings settings, Supplier<Org> org, HubMetrics metrics)
            throws IOException {
        this.connection = connection;
        this.metrics = metrics;
        this.org = org;
        Subjects s = org.get().subjects();
        this.budgets = connection.keyValue(s.budgetsBucket(),
                KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
        this.service = Service.builder().connection(connection).name(NAME).version("0.1.0")
                .description("orgmesh budget limits for " + s.company())
                .addServiceEndpoint(ServiceEndpoint.builder().endpointName("budget")
                        .endpointSubject(s.humanBudget(Subjects.ANY)).handler(this::onRequest).build())
                .addServiceEndpoint(ServiceEndpoint.builder().endpointName("reserve")
                        .endpointSubject(s.budgetReserve(Subjects.ANY)).handler(m -> onSpend(m, true)).build())
                .addServiceEndpoint(ServiceEndpoint.builder().endpointName("settle")
                        .endpointSubject(s.budgetSettle(Subjects.ANY)).handler(m -> onSpend(m, false)).build())
                .build();
    }

    public static BudgetDesk start(Connection connection, NatsSettings settings, Supplier<Org> org)
            throws IOException {
        return start(connection, settings, org, HubMetrics.NONE);
    }

    /** As {@link #start(Connection, NatsSettings, Supplier)}, counting reservations in {@code metrics}. */
    public static BudgetDesk start(Connection connection, NatsSettings settings, Supplier<Org> org, HubMetrics metrics)
            throws IOException {
        BudgetDesk d = new BudgetDesk(connection, settings, org, metrics);
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
        } catch (JsonProcessingException e) {
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
        String key = BudgetRecords.limitKey(scope, id);
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

    // ---- spend counters ------------------------------------------------------------------------------------------

    private void onSpend(ServiceMessage msg, boolean reserve) {
        try {
            Org o = org.get();
            String agent = o.subjects().attribution(msg.getSubject()).map(Subjects.Attribution::sender).orElse(null);
            if (agent == null || o.agent(agent).isEmpty()) {
                throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, msg.getSubject() + " names no agent of "
                        + o.company());
            }
            Object reply = reserve
                    ? reserve(o, agent, Json.mapper().readValue(msg.getData(), BudgetWire.ReserveRequest.class))
                    : settle(o, agent, Json.mapper().readValue(msg.getData(), BudgetWire.SettleRequest.class));
            msg.respond(connection, Json.write(reply));
        } catch (OrgmeshException e) {
            if (reserve) {
                metrics.budgetReservation("invalid");
            }
            LOG.infof("%s %s: %s", e.code().label(), msg.getSubject(), e.getMessage());
            Replies.error(connection, msg.getReplyTo(), e);
        } catch (IOException | RuntimeException | JetStreamApiException e) {
            LOG.warnf("%s failed: %s", msg.getSubject(), e.toString());
            Replies.error(connection, msg.getReplyTo(), new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST,
                    msg.getSubject() + " failed: " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reserves for {@code agent}: at most the org's reservation size, the size a runtime asks for. */
    BudgetWire.ReserveReply reserve(Org o, String agent, BudgetWire.ReserveRequest req)
            throws IOException, InterruptedException, JetStreamApiException {
        long most = o.oversight().reserveTokens();
        if (req.tokens() <= 0 || req.tokens() > most) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, agent + " asked to reserve " + req.tokens()
                    + " tokens; a reservation is 1 to " + most + " (budgets.reserve_tokens)");
        }
        SpendLedger.Result r = ledger(o, agent).reserve(req.tokens());
        if (!r.ok()) {
            metrics.budgetReservation("refused");
            return new BudgetWire.ReserveReply(null, 0, r.refused());
        }
        String id = Ids.next();
        budgets.create(BudgetRecords.reservationKey(agent, id), Json.write(r.granted()));
        metrics.budgetReservation("granted");
        return new BudgetWire.ReserveReply(id, req.tokens(), null);
    }

    /** Settles one of {@code agent}'s open reservations; another agent's, or a settled one, is refused. */
    BudgetWire.SettleRequest settle(Org o, String agent, BudgetWire.SettleRequest req)
            throws IOException, InterruptedException, JetStreamApiException {
        // one call's usage, bounded: an absurd amount would exhaust (or, overflowing, reset) the shared counters
        long mostTokens = o.oversight().reserveTokens() * MAX_CALL_FACTOR;
        if (req.reservation() == null || !req.reservation().matches("[A-Za-z0-9]{1,64}") || req.tokens() < 0
                || req.microUsd() < 0 || req.tokens() > mostTokens || req.microUsd() > MAX_CALL_MICRO_USD) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST,
                    "send {\"reservation\": \"<id>\", \"tokens\": N, \"micro_usd\": N}: tokens 0 to " + mostTokens
                            + " (" + MAX_CALL_FACTOR + " reservations), micro_usd 0 to " + MAX_CALL_MICRO_USD);
        }
        String key = BudgetRecords.reservationKey(agent, req.reservation());
        KeyValueEntry e = budgets.get(key);
        if (e == null || e.getValue() == null) {
            throw new OrgmeshException(ErrorCode.BUDGET_BAD_REQUEST, agent + " has no open reservation "
                    + req.reservation());
        }
        BudgetRecords.Reservation held = Json.mapper().readValue(e.getValue(), BudgetRecords.Reservation.class);
        // removed first, on its revision: a second settle of the same reservation finds nothing
        budgets.delete(key, e.getRevision());
        ledger(o, agent).settle(held, req.tokens(), req.microUsd());
        return req;
    }

    private SpendLedger ledger(Org o, String agent) {
        return new SpendLedger(o, o.agent(agent).orElseThrow(), () -> budgets, clock);
    }

    @Override
    public void close() {
        service.stop();
    }
}
