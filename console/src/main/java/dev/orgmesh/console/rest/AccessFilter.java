package dev.orgmesh.console.rest;

import java.security.SecureRandom;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import dev.orgmesh.console.access.ConsoleAccess;
import dev.orgmesh.console.service.ConsoleConfig;
import dev.orgmesh.protocol.ErrorBody;
import dev.orgmesh.protocol.Json;

/**
 * Puts {@link ConsoleAccess} in front of everything the console serves: the first route of the HTTP router, before
 * the page, the API and the stream. A refused request gets the catalogue's error body and nothing else.
 */
@ApplicationScoped
public class AccessFilter {
    private static final Logger LOG = Logger.getLogger(AccessFilter.class);

    /** The one access decider of this console, made from its settings. */
    @Produces
    @Singleton
    ConsoleAccess access(ConsoleConfig config) {
        ConsoleAccess access = new ConsoleAccess(config.token(), config.allowedHosts().orElse(List.of()),
                new SecureRandom());
        if (!access.hasToken()) {
            LOG.warn("no console login token (orgmesh.console.token / ORGMESH_CONSOLE_TOKEN): nobody can log in;"
                    + " `orgmesh up` sets one and prints the URL to open");
        }
        return access;
    }

    void install(@Observes Router router, ConsoleAccess access) {
        router.route().order(-1000).handler(rc -> filter(rc, access));
    }

    /**
     * The {@code Host} the request names: the header in HTTP/1.1, the {@code :authority} pseudo-header in HTTP/2 (a
     * client that upgrades, such as Java's HttpClient, sends no {@code Host} header at all).
     */
    static String host(HttpServerRequest req) {
        HostAndPort a = req.authority();
        if (a == null || a.host() == null) {
            return null;
        }
        String host = a.host().contains(":") && !a.host().startsWith("[") ? "[" + a.host() + "]" : a.host();
        return a.port() < 0 ? host : host + ":" + a.port();
    }

    private static void filter(RoutingContext rc, ConsoleAccess access) {
        HttpServerRequest req = rc.request();
        Cookie session = req.getCookie(ConsoleAccess.SESSION_COOKIE);
        // the path routing sees (decoded, dot segments and double slashes removed), not the raw one: /%61pi/… and
        // //api/… must be judged as /api/…
        ConsoleAccess.Verdict v = access.check(new ConsoleAccess.Request(req.method().name(), rc.normalizedPath(),
                req.localAddress() == null ? -1 : req.localAddress().port(), host(req),
                req.getHeader("Origin"), req.getHeader("Content-Type"), req.getHeader(ConsoleAccess.CSRF_HEADER),
                session == null ? null : session.getValue()));
        if (v.allowed()) {
            rc.next();
            return;
        }
        LOG.infof("%s refused %s %s: %s", v.code().label(), req.method(), req.path(), v.message());
        rc.response().setStatusCode(v.status()).putHeader("Content-Type", "application/json")
                .end(Buffer.buffer(Json.write(new ErrorBody(v.code().code(), v.code().name(), v.message()))));
    }
}
