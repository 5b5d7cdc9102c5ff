package dev.orgmesh.hub.directory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.Connection;
import io.nats.service.Service;
import io.nats.service.ServiceEndpoint;
import io.nats.service.ServiceMessage;

import dev.orgmesh.hub.metrics.HubMetrics;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;

/**
 * The directory on {@code {co}.org.>} as a NATS micro service, so {@code $SRV.PING}, {@code $SRV.INFO} and
 * {@code $SRV.STATS} discover it and any NATS client can ask it. A request names its subject in the body, as JSON
 * ({@code {"id":"cto-athena"}}, {@code {"role":"role-backend"}}) or as the bare id; {@code chart} takes no body.
 * Errors carry the NATS service error headers and a JSON body with the catalogue code.
 *
 * <p>Endpoints: {@code member}, {@code team}, {@code role}, {@code manager}, {@code chain}, {@code chart}.
 */
public final class DirectoryService implements AutoCloseable {
    /** The service name in {@code $SRV} discovery. */
    public static final String NAME = "orgmesh-directory";
    private static final Logger LOG = Logger.getLogger(DirectoryService.class);

    private final Connection connection;
    private final AtomicReference<Directory> directory;
    private final Service service;
    private final HubMetrics metrics;

    private DirectoryService(Connection connection, Subjects subjects, Directory initial, String version,
            HubMetrics metrics) {
        this.connection = connection;
        this.metrics = metrics;
        this.directory = new AtomicReference<>(initial);
        var b = Service.builder()
                .connection(connection)
                .name(NAME)
                .version(version)
                .description("orgmesh org directory for " + subjects.company());
        for (ServiceEndpoint e : List.of(
                endpoint(subjects, "member", "id", (d, key) -> d.member(key)),
                endpoint(subjects, "team", "id", (d, key) -> d.team(key)),
                endpoint(subjects, "role", "role", (d, key) -> d.role(key)),
                endpoint(subjects, "manager", "id", (d, key) -> d.manager(key)),
                endpoint(subjects, "chain", "id", (d, key) -> d.chain(key)),
                endpoint(subjects, "chart", null, (d, key) -> d.chart()))) {
            b.addServiceEndpoint(e);
        }
        this.service = b.build();
    }

    /**
     * Starts serving {@code initial} on {@code connection}. Returns once the server has its subscriptions (a round trip
     * to it), so a request sent right after is answered — also a {@code $SRV.PING}. While the connection is away it
     * waits up to 5 s, then returns and the subscriptions are made when it is back.
     */
    public static DirectoryService start(Connection connection, Directory initial, Subjects subjects, String version) {
        return start(connection, initial, subjects, version, HubMetrics.NONE);
    }

    /** As {@link #start(Connection, Directory, Subjects, String)}, counting requests in {@code metrics}. */
    public static DirectoryService start(Connection connection, Directory initial, Subjects subjects, String version,
            HubMetrics metrics) {
        DirectoryService s = new DirectoryService(connection, subjects, initial, version, metrics);
        s.service.startService();
        try {
            connection.flush(Duration.ofSeconds(5));
        } catch (TimeoutException e) {
            LOG.debugf("directory started without the server's confirmation of its subscriptions (they are made when"
                    + " the connection is back, if it comes back): %s", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return s;
    }

    /** Answers from {@code next} from now on (the org changed). */
    public void replace(Directory next) {
        directory.set(next);
    }

    private ServiceEndpoint endpoint(Subjects subjects, String name, String field,
            BiFunction<Directory, String, Object> answer) {
        return ServiceEndpoint.builder()
                .endpointName(name)
                .endpointSubject(subjects.org(name))
                .handler(msg -> handle(msg, name, field, answer))
                .build();
    }

    private void handle(ServiceMessage msg, String name, String field,
            BiFunction<Directory, String, Object> answer) {
        try {
            String key = field == null ? null : key(msg.getData(), field);
            byte[] body = Json.write(answer.apply(directory.get(), key));
            metrics.directoryRequest(name, true); // before the reply, so whoever got it sees it counted
            msg.respond(connection, body);
        } catch (OrgmeshException e) {
            metrics.directoryRequest(name, false);
            LOG.debugf("%s directory request on %s: %s", e.code().label(), msg.getSubject(), e.getMessage());
            Replies.error(connection, msg.getReplyTo(), e);
        } catch (RuntimeException e) {
            metrics.directoryRequest(name, false);
            LOG.warnf(e, "directory request on %s failed", msg.getSubject());
            Replies.error(connection, msg.getReplyTo(),
                    new OrgmeshException(ErrorCode.DIRECTORY_BAD_REQUEST, "internal error: " + e));
        }
    }

    /** The requested id: the body's {@code field}, or the whole body as a bare token. */
    static String key(byte[] data, String field) {
        String text = data == null ? "" : new String(data, StandardCharsets.UTF_8).trim();
        if (text.isEmpty()) {
            throw new OrgmeshException(ErrorCode.DIRECTORY_BAD_REQUEST,
                    "empty request: send {\"" + field + "\":\"...\"} or the bare " + field);
        }
        String key = text;
        if (text.startsWith("{")) {
            try {
                JsonNode node = Json.mapper().readTree(text);
                JsonNode v = node.get(field);
                if (v == null || !v.isTextual()) {
                    throw new OrgmeshException(ErrorCode.DIRECTORY_BAD_REQUEST,
                            "request has no string field '" + field + "'");
                }
                key = v.textValue();
            } catch (JsonProcessingException e) {
                throw new OrgmeshException(ErrorCode.DIRECTORY_BAD_REQUEST,
                        "malformed JSON request: " + e.getOriginalMessage());
            }
        } else if (text.startsWith("\"") && text.endsWith("\"") && text.length() >= 2) {
            key = text.substring(1, text.length() - 1);
        }
        if (!Subjects.SAFE_TOKEN.matcher(key).matches()) {
            throw new OrgmeshException(ErrorCode.DIRECTORY_BAD_REQUEST, "'" + key + "' is not a valid " + field);
        }
        return key;
    }

    @Override
    public void close() {
        service.stop();
    }
}
