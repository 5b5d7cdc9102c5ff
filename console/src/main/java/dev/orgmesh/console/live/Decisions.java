package dev.orgmesh.console.live;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.nats.client.Connection;
import io.nats.client.Message;

import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Subjects;

/**
 * A human's decision, sent as the console's own request to the approval desk on {@code {co}.human.approve} or
 * {@code {co}.human.deny} with {@code {"id","by","reason"}} (docs/oversight.md). The desk decides by compare-and-set
 * on the record; the console only relays its answer: the updated {@link Approval}, or the catalogue error from the
 * {@code Nats-Service-Error} / {@code Nats-Service-Error-Code} headers.
 */
public final class Decisions {
    /**
     * What the desk answered.
     *
     * @param approval the updated record; null on an error
     * @param code catalogue number of the error; 0 when it worked
     * @param name catalogue name of the error, when the number is known
     * @param message the error's message
     */
    public record Outcome(Approval approval, int code, String name, String message) {
        public boolean ok() {
            return approval != null;
        }

        static Outcome error(int code, String message) {
            ErrorCode c = ErrorCode.byCode(code);
            return new Outcome(null, code, c == null ? null : c.name(), message);
        }
    }

    private final Connection connection;
    private final Subjects subjects;
    private final Duration timeout;

    public Decisions(Connection connection, Subjects subjects, Duration timeout) {
        this.connection = connection;
        this.subjects = subjects;
        this.timeout = timeout;
    }

    /** Approves approval {@code id} as {@code by}. */
    public Outcome approve(String id, String by, String reason) {
        return send(subjects.humanApprove(by), id, by, reason);
    }

    /** Denies approval {@code id} as {@code by}; the desk refuses a denial without a reason. */
    public Outcome deny(String id, String by, String reason) {
        return send(subjects.humanDeny(by), id, by, reason);
    }

    private Outcome send(String subject, String id, String by, String reason) {
        Approval.Decision decision = new Approval.Decision(id, by,
                reason == null || reason.isBlank() ? null : reason.strip());
        Message reply;
        try {
            reply = connection.request(subject, decision.encode()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Outcome.error(ErrorCode.REQUEST_TIMEOUT.code(),
                    "the approval desk did not answer on " + subject + " within " + timeout.toMillis()
                            + " ms (is hub-bootstrap running?)");
        } catch (CancellationException | ExecutionException e) {
            return Outcome.error(ErrorCode.NO_RESPONDERS.code(), "no approval desk is listening on " + subject
                    + " (is hub-bootstrap running?)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.error(ErrorCode.REQUEST_TIMEOUT.code(), "interrupted while waiting for the approval desk");
        }
        if (Replies.isError(reply)) {
            var e = Replies.exception(reply, ErrorCode.APPROVAL_BAD_REQUEST);
            return Outcome.error(e.code().code(), e.getMessage());
        }
        try {
            return new Outcome(Approval.decode(reply.getData()), 0, null, null);
        } catch (RuntimeException e) {
            return Outcome.error(ErrorCode.ENVELOPE_MALFORMED_JSON.code(),
                    "the approval desk's reply is not an approval: " + e.getMessage());
        }
    }
}
