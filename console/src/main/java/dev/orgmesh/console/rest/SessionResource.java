package dev.orgmesh.console.rest;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.console.access.ConsoleAccess;
import dev.orgmesh.console.service.ConsoleMetrics;
import dev.orgmesh.protocol.ErrorBody;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;

/**
 * The console's login: {@code POST /api/login} with {@code {"token": …}} opens a session (an {@code HttpOnly},
 * {@code SameSite=Strict} cookie) and answers its CSRF token; {@code GET /api/session} answers the CSRF token of the
 * session the cookie names (the page asks after a reload). {@link ConsoleAccess} has already checked Host, Origin and
 * the content type.
 */
@Path("/api")
public class SessionResource {
    private static final Logger LOG = Logger.getLogger(SessionResource.class);

    private final ConsoleAccess access;
    private final ConsoleMetrics metrics;

    public SessionResource(ConsoleAccess access, ConsoleMetrics metrics) {
        this.access = access;
        this.metrics = metrics;
    }

    @POST
    @Path("/login")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response login(String body) {
        String presented = null;
        try {
            JsonNode n = body == null || body.isBlank() ? null : Json.mapper().readTree(body);
            presented = n != null && n.hasNonNull("token") ? n.get("token").asText() : null;
        } catch (IOException e) {
            return error(400, ErrorCode.ENVELOPE_MALFORMED_JSON, "the body is not JSON: " + e.getMessage());
        }
        Optional<ConsoleAccess.Session> s = access.login(presented);
        metrics.login(s.isPresent());
        if (s.isEmpty()) {
            LOG.infof("%s a console login with a wrong or missing token was refused",
                    ErrorCode.CONSOLE_BAD_TOKEN.label());
            return error(401, ErrorCode.CONSOLE_BAD_TOKEN, access.hasToken()
                    ? "wrong token: open the console's URL as `orgmesh up` printed it"
                    : "this console has no login token; set ORGMESH_CONSOLE_TOKEN (orgmesh up does)");
        }
        NewCookie cookie = new NewCookie.Builder(ConsoleAccess.SESSION_COOKIE).value(s.get().id()).path("/")
                .httpOnly(true).sameSite(NewCookie.SameSite.STRICT).build();
        return Response.ok(Json.write(Map.of("csrf", s.get().csrf())), MediaType.APPLICATION_JSON).cookie(cookie)
                .build();
    }

    @GET
    @Path("/session")
    @Produces(MediaType.APPLICATION_JSON)
    public Response session(@CookieParam(ConsoleAccess.SESSION_COOKIE) String id) {
        // the filter let this through, so the session exists
        return Response.ok(Json.write(Map.of("csrf", access.csrfOf(id))), MediaType.APPLICATION_JSON).build();
    }

    private static Response error(int status, ErrorCode code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Json.write(new ErrorBody(code.code(), code.name(), message))).build();
    }
}
