package dev.orgmesh.agent.ask;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.smallrye.mutiny.Uni;

import dev.orgmesh.agent.support.MutinyStart;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * Request/reply to another agent on {@code {co}.ask.{agent}} (core NATS, no stream): one request per attempt, each
 * bounded by the timeout, then the {@link Fallback}. An error reply ({@code Nats-Service-Error-Code}) is an answer,
 * not silence: it fails the ask with its code and no fallback runs.
 */
public final class Asker {
    private static final Logger LOG = Logger.getLogger(Asker.class);

    private final Connection connection;
    private final Org org;
    private final String self;
    private final Subjects subjects;

    public Asker(Connection connection, Org org, String self) {
        MutinyStart.ensure();
        this.connection = connection;
        this.org = org;
        this.self = self;
        this.subjects = org.subjects();
    }

    /**
     * Asks {@code agent}. The question is sent from this agent with an id (kept across retries, so the answerer can
     * tell a retry); the answer is decoded as an envelope.
     */
    public Uni<Envelope> ask(String agent, Envelope question, Duration timeout, Fallback fallback) {
        Envelope q = question.toBuilder().from(self).to(agent).type(question.type() != null
                ? question.type()
                : "question").build().withIdIfAbsent();
        Uni<Envelope> first = once(agent, q, timeout);
        return switch (fallback) {
            case Fallback.None n -> first;
            case Fallback.Retry r -> first.onFailure(Asker::unanswered).retry().atMost(r.times());
            case Fallback.Default d -> first.onFailure(Asker::unanswered).recoverWithItem(() -> {
                LOG.infof("%s no answer from %s within %s; using the default answer",
                        ErrorCode.REQUEST_TIMEOUT.label(), agent, timeout);
                return d.answer();
            });
            case Fallback.AskManager m -> first.onFailure(Asker::unanswered)
                    .recoverWithUni(t -> askManagerOf(agent, q, timeout, t));
        };
    }

    private Uni<Envelope> askManagerOf(String agent, Envelope q, Duration timeout, Throwable first) {
        Member manager = org.manager(agent).orElse(null);
        if (manager == null || manager.isHuman()) {
            return Uni.createFrom().failure(new OrgmeshException(ErrorCode.REQUEST_TIMEOUT, "no answer from " + agent
                    + " within " + timeout + ", and its manager "
                    + (manager == null ? "is unknown" : manager.id() + " is a human, who cannot be asked"), first));
        }
        LOG.infof("%s no answer from %s within %s; asking its manager %s", ErrorCode.REQUEST_TIMEOUT.label(), agent,
                timeout, manager.id());
        return once(manager.id(), q.toBuilder().to(manager.id()).build(), timeout);
    }

    private Uni<Envelope> once(String agent, Envelope q, Duration timeout) {
        Headers h = new Headers().put(HeaderNames.MSG_ID, q.id());
        byte[] body = EnvelopeCodec.encode(q);
        return Uni.createFrom()
                .completionStage(() -> connection.requestWithTimeout(subjects.ask(agent, self), h, body, timeout))
                .ifNoItem().after(timeout.plusMillis(250))
                .failWith(() -> timeoutError(agent, timeout))
                .onFailure(t -> !(t instanceof OrgmeshException)).transform(t -> translate(agent, timeout, t))
                .map(this::decode);
    }

    private Envelope decode(Message reply) {
        if (Replies.isError(reply)) {
            String code = reply.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE);
            ErrorCode c = null;
            try {
                c = ErrorCode.byCode(Integer.parseInt(code));
            } catch (NumberFormatException ignored) {
                // not one of ours
            }
            throw new OrgmeshException(c != null ? c : ErrorCode.AGENT_HANDLER_FAILED,
                    reply.getHeaders().getFirst(HeaderNames.SERVICE_ERROR));
        }
        return EnvelopeCodec.decode(reply.getData());
    }

    private static OrgmeshException timeoutError(String agent, Duration timeout) {
        return new OrgmeshException(ErrorCode.REQUEST_TIMEOUT, "no answer from " + agent + " within " + timeout);
    }

    private static Throwable translate(String agent, Duration timeout, Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        String text = String.valueOf(c.getMessage());
        if (text.contains("503") || text.toLowerCase().contains("no responders")) {
            return new OrgmeshException(ErrorCode.NO_RESPONDERS, agent + " is not listening on its ask subject", c);
        }
        if (c instanceof CancellationException || c instanceof TimeoutException) {
            return timeoutError(agent, timeout);
        }
        return new OrgmeshException(ErrorCode.REQUEST_TIMEOUT, "asking " + agent + " failed: " + c, c);
    }

    /** Silence (timeout, nobody listening) triggers a fallback; an error reply does not. */
    private static boolean unanswered(Throwable t) {
        return t instanceof OrgmeshException e
                && (e.code() == ErrorCode.REQUEST_TIMEOUT || e.code() == ErrorCode.NO_RESPONDERS);
    }
}
