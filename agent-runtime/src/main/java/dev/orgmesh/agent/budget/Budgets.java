package dev.orgmesh.agent.budget;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.nats.client.Connection;
import io.nats.client.Message;

import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.BudgetWire;
import dev.orgmesh.protocol.BudgetWire.Refusal;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;

/**
 * An agent's side of the budget desk (docs/oversight.md, {@link BudgetWire}): before a model call it asks hub-bootstrap
 * to <em>reserve</em> tokens on every spend counter the call rolls up to, and after it to <em>settle</em> the
 * reservation to what the brain reported. The desk alone writes the counters; this agent may only ask, under its own
 * name, so it cannot rewrite the counters that limit it.
 */
public final class Budgets {
    /** What the desk reserved, to settle; {@link #NONE} when nothing was. */
    public record Reservation(String id, long tokens) {
        public static final Reservation NONE = new Reservation(null, 0);

        public boolean none() {
            return id == null;
        }
    }

    /** A reservation, or the limit that refused it (then nothing was taken). */
    public record Result(Reservation granted, Refusal refused) {
        public boolean ok() {
            return granted != null;
        }
    }

    private final Connection connection;
    private final Subjects subjects;
    private final String agent;
    private final Duration timeout;

    public Budgets(Connection connection, Subjects subjects, String agent, Duration timeout) {
        this.connection = connection;
        this.subjects = subjects;
        this.agent = Subjects.token(agent);
        this.timeout = timeout;
    }

    /**
     * Reserves {@code tokens}; throws {@link IOException} when the desk cannot be reached (the caller waits and asks
     * again: nothing is lost).
     */
    public Result reserve(long tokens) throws IOException, InterruptedException {
        BudgetWire.ReserveReply r = Json.mapper().readValue(
                request(subjects.budgetReserve(agent), new BudgetWire.ReserveRequest(tokens)).getData(),
                BudgetWire.ReserveReply.class);
        return r.refused() != null
                ? new Result(null, r.refused())
                : new Result(new Reservation(r.reservation(), r.tokens()), null);
    }

    /** Replaces a reservation by what was really spent. */
    public void settle(Reservation r, long tokens, long microUsd) throws IOException, InterruptedException {
        request(subjects.budgetSettle(agent), new BudgetWire.SettleRequest(r.id(), tokens, microUsd));
    }

    private Message request(String subject, Object body) throws IOException, InterruptedException {
        Message reply;
        try {
            reply = connection.request(subject, Json.write(body)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("the budget desk did not answer on " + subject + " within " + timeout
                    + " (is hub-bootstrap running?)");
        } catch (ExecutionException | CancellationException e) {
            throw new IOException("no budget desk answers on " + subject + " (is hub-bootstrap running?)");
        }
        if (Replies.isError(reply)) {
            throw new IOException(Replies.exception(reply, ErrorCode.BUDGET_BAD_REQUEST).getMessage());
        }
        return reply;
    }
}
