package dev.orgmesh.console.rest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestStreamElementType;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.JetStreamApiException;
import io.smallrye.mutiny.Multi;

import dev.orgmesh.console.live.Decisions;
import dev.orgmesh.console.live.FeedEntry;
import dev.orgmesh.console.live.FeedFilter;
import dev.orgmesh.console.live.LiveState;
import dev.orgmesh.console.service.ConsoleService;
import dev.orgmesh.messaging.ops.DeadLetterOps;
import dev.orgmesh.protocol.ErrorBody;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The console's HTTP API on 127.0.0.1, used only by its own page: a snapshot of the org, approvals and budgets; the
 * feed; one Server-Sent Events stream that pushes new messages and tells the page when to fetch the snapshot again;
 * approve, deny and replay, each relayed over NATS. Bodies are JSON in orgmesh's snake_case; errors are the catalogue's
 * {@link ErrorBody}.
 */
@Path("/api")
public class ConsoleResource {
    private static final Logger LOG = Logger.getLogger(ConsoleResource.class);

    /** How often the stream sends a keep-alive, so a closed page is noticed and proxies keep the stream open. */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final ConsoleService console;

    public ConsoleResource(ConsoleService console) {
        this.console = console;
    }

    /** The org chart with presence, open approvals, budgets and who decides here. */
    @GET
    @Path("/state")
    @Produces(MediaType.APPLICATION_JSON)
    public Response state() {
        LiveState s = console.state();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("org", s.chart().orElse(null));
        out.put("decider", console.decider().orElse(null));
        out.put("approvals", s.openApprovals());
        out.put("budgets", s.budgets());
        return json(200, out);
    }

    /** The newest messages that match the filter, oldest first. */
    @GET
    @Path("/feed")
    @Produces(MediaType.APPLICATION_JSON)
    public Response feed(@QueryParam("team") String team, @QueryParam("agent") String agent,
            @QueryParam("thread") String thread, @QueryParam("limit") Integer limit) {
        int n = limit == null ? 200 : Math.max(1, Math.min(limit, 2000));
        return json(200, console.state().feed(new FeedFilter(team, agent, thread), n));
    }

    /**
     * Server-Sent Events: {@code {"kind":"message","entry":{…}}} for every new message that matches the filter,
     * {@code {"kind":"changed","what":…}} when the snapshot changed, {@code {"kind":"ping"}} every 15 s.
     */
    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> stream(@QueryParam("team") String team, @QueryParam("agent") String agent,
            @QueryParam("thread") String thread) {
        FeedFilter filter = new FeedFilter(team, agent, thread);
        LiveState s = console.state();
        Multi<String> events = Multi.createFrom().emitter(em -> {
            LiveState.Listener l = new LiveState.Listener() {
                @Override
                public void message(FeedEntry entry) {
                    if (filter.matches(entry)) {
                        em.emit(text(Map.of("kind", "message", "entry", entry)));
                    }
                }

                @Override
                public void changed(String what) {
                    em.emit(text(Map.of("kind", "changed", "what", what)));
                }
            };
            s.addListener(l);
            em.onTermination(() -> s.removeListener(l));
            em.emit(text(Map.of("kind", "hello")));
        });
        Multi<String> pings = Multi.createFrom().ticks().every(KEEP_ALIVE).map(t -> text(Map.of("kind", "ping")));
        return Multi.createBy().merging().streams(events, pings);
    }

    /** Approves a held message as the console's human. Body (optional): {@code {"reason": …}}. */
    @POST
    @Path("/approvals/{id}/approve")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response approve(@PathParam("id") String id, String body) {
        return decide(true, id, body);
    }

    /** Denies a held message as the console's human. Body: {@code {"reason": …}}; the desk needs a reason. */
    @POST
    @Path("/approvals/{id}/deny")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response deny(@PathParam("id") String id, String body) {
        return decide(false, id, body);
    }

    /** The newest dead letters, oldest first. */
    @GET
    @Path("/dlq")
    @Produces(MediaType.APPLICATION_JSON)
    public Response deadLetters() {
        try {
            List<DeadLetterOps.Row> rows = console.deadLetters().list(console.deadLetterLimit());
            return json(200, rows);
        } catch (OrgmeshException e) {
            return error(503, e);
        } catch (IOException | JetStreamApiException e) {
            return error(503, new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "cannot read the dead letters: " + e.getMessage(), e));
        }
    }

    /** Replays dead letter {@code seq} to where it was first sent, under a new id; the dead letter stays. */
    @POST
    @Path("/dlq/{seq}/replay")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response replay(@PathParam("seq") long seq) {
        try {
            String result = console.deadLetters().replay(seq, false);
            LOG.infof("dead letter %d replayed as %s", seq, result);
            return json(200, Map.of("replayed", result));
        } catch (OrgmeshException e) {
            return error(e.code() == ErrorCode.NATS_UNAVAILABLE ? 503 : 409, e);
        } catch (IOException | JetStreamApiException e) {
            return error(503, new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "cannot replay dead letter " + seq + ": " + e.getMessage(), e));
        }
    }

    private Response decide(boolean approve, String id, String body) {
        String reason = null;
        if (body != null && !body.isBlank()) {
            try {
                JsonNode n = Json.mapper().readTree(body);
                reason = n.hasNonNull("reason") ? n.get("reason").asText() : null;
            } catch (IOException e) {
                return error(400, new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON,
                        "the body is not JSON: " + e.getMessage()));
            }
        }
        String by = console.decider().orElse(null);
        if (by == null) {
            return error(503, new OrgmeshException(ErrorCode.ORG_MISSING_FIELD,
                    "the console has no human to decide as: the org has no humans and orgmesh.console.human is unset"));
        }
        Decisions.Outcome o;
        try {
            o = approve ? console.decisions().approve(id, by, reason) : console.decisions().deny(id, by, reason);
        } catch (OrgmeshException e) {
            return error(503, e);
        }
        LOG.infof("%s %s as %s: %s", approve ? "approve" : "deny", id, by,
                o.ok() ? o.approval().status() : "OM-" + o.code() + " " + o.message());
        if (o.ok()) {
            return json(200, o.approval());
        }
        int status = o.code() == ErrorCode.NO_RESPONDERS.code() || o.code() == ErrorCode.REQUEST_TIMEOUT.code()
                ? 503
                : 409;
        return json(status, new ErrorBody(o.code(), o.name(), o.message()));
    }

    private static Response error(int status, OrgmeshException e) {
        return json(status, e.toBody());
    }

    private static Response json(int status, Object body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Json.write(body)).build();
    }

    private static String text(Object o) {
        return new String(Json.write(o), StandardCharsets.UTF_8);
    }
}
