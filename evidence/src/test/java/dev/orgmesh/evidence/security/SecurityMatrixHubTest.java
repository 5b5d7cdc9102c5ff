package dev.orgmesh.evidence.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Subscription;

import dev.orgmesh.evidence.RenderedHub;
import dev.orgmesh.evidence.security.SecurityMatrix.Cell;
import dev.orgmesh.evidence.security.SecurityMatrix.Kind;
import dev.orgmesh.evidence.security.SecurityMatrix.Member;
import dev.orgmesh.evidence.security.SecurityMatrix.Op;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.Permissions;

/**
 * The security matrix on a real hub: the seed's org rendered by hub-bootstrap and run by {@code nats-server}, every
 * member connected directly with its own credential on the hub's client port (a leaf's connection carries the same
 * permissions, enforced by the hub too: ADR 0001). For every cell of {@link SecurityMatrix} the test observes what
 * actually happens: an allowed subscription receives a probe the operator publishes and an allowed publish reaches
 * the operator's subscription; a denied one produces the server's permissions violation for exactly that subject.
 * Writes {@code target/security-matrix-hub.txt}.
 *
 * <p>The operator's audit cells are exercised through the JetStream API: its purge is refused by the stream
 * ({@code deny_purge}), not by its permissions, so the audit stays intact; its stream delete is not executed (the
 * operator administers the account and could delete the stream; that is what the credential is for).
 */
class SecurityMatrixHubTest {
    static final Duration WAIT = Duration.ofSeconds(5);

    static RenderedHub hub;
    static Connection observer;
    static final Map<String, Connection> connections = new HashMap<>();
    static final Map<String, RenderedHub.Violations> violations = new HashMap<>();

    @BeforeAll
    static void start() {
        hub = RenderedHub.start();
        observer = hub.service(HubService.OPERATOR, new RenderedHub.Violations());
        for (Member m : SecurityMatrix.members(hub.org)) {
            RenderedHub.Violations v = new RenderedHub.Violations();
            violations.put(m.id(), v);
            connections.put(m.id(), m.kind() == Kind.OPERATOR
                    ? hub.service(HubService.OPERATOR, v)
                    : hub.member(m.id(), v));
        }
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void everyCellOnTheRealHubIsAsDesigned() throws Exception {
        List<Cell> cells = SecurityMatrix.cells(hub.org);
        Map<Cell, Boolean> observed = new LinkedHashMap<>();
        List<String> mismatches = new ArrayList<>();
        int n = 0;
        for (Cell c : cells) {
            Boolean seen;
            if (c.member().kind() == Kind.OPERATOR && c.subject().contains(".STREAM.")) {
                seen = operatorAudit(c);
            } else {
                seen = c.op() == Op.SUB ? subscribe(c, n++) : publish(c, n++);
            }
            if (seen == null) {
                continue;
            }
            observed.put(c, seen);
            if (seen != c.expected()) {
                mismatches.add(c + " but the hub " + (seen ? "allowed" : "refused") + " it");
            }
        }
        MatrixReport.write("target/security-matrix-hub.txt",
                "security matrix on a real hub rendered from examples/komodo-ai.yaml (nats-server, client port)",
                cells, observed, List.of("not executed: the operator's audit stream delete (2 cells)"));
        assertThat(mismatches).isEmpty();
        assertThat(observed.size()).as("cells observed").isEqualTo(cells.size() - 2);
        // the audit stream is still there, whole
        assertThat(observer.jetStreamManagement().getStreamInfo(hub.org.subjects().auditStream())).isNotNull();
    }

    /**
     * The handled record through jnats' own KeyValue, as a runtime uses it (open, create, get by key): an agent creates
     * and reads keys in its own and its role's scope, and cannot create or read another agent's or another role's —
     * the permissions restrict reads per key only because jnats reads a key by direct get on its subject.
     */
    @Test
    void anAgentCreatesAndReadsOnlyItsOwnHandledKeysThroughJnats() throws Exception {
        dev.orgmesh.protocol.Subjects s = hub.org.subjects();
        dev.orgmesh.protocol.org.Agent athena = hub.org.agent("cto-athena").orElseThrow();
        io.nats.client.KeyValue kv = connections.get(athena.id()).keyValue(s.handledBucket(),
                io.nats.client.KeyValueOptions.builder()
                        .jetStreamOptions(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build())
                        .build());
        io.nats.client.KeyValue operatorKv = observer.keyValue(s.handledBucket());
        String id = "evidence-" + System.nanoTime();
        byte[] value = "{\"by\":\"cto-athena\"}".getBytes(StandardCharsets.UTF_8);
        for (String scope : List.of(dev.orgmesh.protocol.Subjects.handledAgentScope(athena.id()),
                dev.orgmesh.protocol.Subjects.handledRoleScope(athena.role()))) {
            String key = dev.orgmesh.protocol.Subjects.handledKey(scope, id);
            assertThat(kv.create(key, value)).as(key).isPositive();
            assertThat(kv.get(key)).as(key).isNotNull();
        }
        String otherAgent = dev.orgmesh.protocol.Subjects.handledKey(
                dev.orgmesh.protocol.Subjects.handledAgentScope("ceo-genesis"), id);
        String otherRole = dev.orgmesh.protocol.Subjects.handledKey(
                dev.orgmesh.protocol.Subjects.handledRoleScope("role-ceo"), id);
        operatorKv.create(otherRole, value);
        for (String key : List.of(otherAgent, otherRole)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> kv.create(key, value)).as(key)
                    .isInstanceOfAny(java.io.IOException.class, JetStreamApiException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> kv.get(key)).as(key)
                    .isInstanceOfAny(java.io.IOException.class, JetStreamApiException.class);
        }
        assertThat(operatorKv.get(otherAgent)).as("nothing was written for another agent").isNull();
        assertThat(violations.get(athena.id()).messages).anyMatch(m -> m.contains(otherAgent));
    }

    /**
     * Issue 23: the escalations bucket through jnats' own KeyValue, as a runtime uses it — create, compare-and-set
     * update, get, list (an ordered consumer filtered to its own keys) and delete its own ladders — and none of that
     * on another agent's keys, listing included.
     */
    @Test
    void anAgentStepsListsAndSettlesOnlyItsOwnEscalationLaddersThroughJnats() throws Exception {
        dev.orgmesh.protocol.Subjects s = hub.org.subjects();
        String me = "cto-athena";
        io.nats.client.KeyValue kv = connections.get(me).keyValue(s.escalationsBucket(),
                io.nats.client.KeyValueOptions.builder()
                        .jetStreamOptions(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build())
                        .build());
        io.nats.client.KeyValue operatorKv = observer.keyValue(s.escalationsBucket());
        String id = "evidence-" + System.nanoTime();
        byte[] value = "{\"step\":0}".getBytes(StandardCharsets.UTF_8);
        String own = dev.orgmesh.protocol.Subjects.escalationKey(me, id);
        long rev = kv.create(own, value);
        assertThat(kv.update(own, "{\"step\":1}".getBytes(StandardCharsets.UTF_8), rev)).isGreaterThan(rev);
        assertThat(kv.get(own)).isNotNull();
        violations.get(me).drain();
        assertThat(kv.keys(me + ".>")).as("listing its own ladders, as a runtime does on start").contains(own);
        kv.delete(own);
        assertThat(kv.get(own)).isNull();
        assertThat(violations.get(me).drain()).as("its own ladders: nothing refused").isEmpty();

        String other = dev.orgmesh.protocol.Subjects.escalationKey("ceo-genesis", id);
        operatorKv.create(other, value);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kv.create(other, value))
                .isInstanceOfAny(java.io.IOException.class, JetStreamApiException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kv.get(other))
                .isInstanceOfAny(java.io.IOException.class, JetStreamApiException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kv.delete(other))
                .isInstanceOfAny(java.io.IOException.class, JetStreamApiException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kv.keys("ceo-genesis.>"))
                .as("listing another agent's ladders").isInstanceOfAny(java.io.IOException.class,
                        JetStreamApiException.class);
        assertThat(operatorKv.get(other)).as("another agent's ladder is untouched").isNotNull();
    }

    /** Subscribes as the member, publishes a probe as the operator: received (true) or a violation (false). */
    static Boolean subscribe(Cell c, int n) throws Exception {
        Connection conn = connections.get(c.member().id());
        RenderedHub.Violations v = violations.get(c.member().id());
        v.drain();
        String expected = "Permissions Violation for Subscription to \"" + c.subject() + "\"";
        Subscription sub = conn.subscribe(c.subject());
        try {
            conn.flush(WAIT);
            byte[] probe = ("probe-" + n).getBytes(StandardCharsets.UTF_8);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                if (v.messages.contains(expected)) {
                    assertThat(sub.getPendingMessageCount()).as("%s: refused and yet delivered", c).isZero();
                    return false;
                }
                observer.publish(c.probe(), probe);
                observer.flush(WAIT);
                Message m = sub.nextMessage(Duration.ofMillis(20));
                if (m != null && new String(m.getData(), StandardCharsets.UTF_8).equals("probe-" + n)) {
                    assertThat(v.messages).as("%s: delivered and yet refused", c).doesNotContain(expected);
                    return true;
                }
            }
            throw new AssertionError("neither a delivery nor a violation within " + WAIT + " for " + c
                    + "; errors: " + v.messages);
        } finally {
            if (conn.getStatus() == Connection.Status.CONNECTED) {
                sub.unsubscribe();
            }
        }
    }

    /** Publishes as the member to a subject the operator listens on: seen (true) or a violation (false). */
    static Boolean publish(Cell c, int n) throws Exception {
        Connection conn = connections.get(c.member().id());
        RenderedHub.Violations v = violations.get(c.member().id());
        v.drain();
        // the hub maps a domain API subject ($JS.hub.API.…) to $JS.API.… before it checks, and names the mapped one
        String checked = c.subject().replace("$JS." + Permissions.JS_DOMAIN + ".API.", "$JS.API.");
        String expected = "Permissions Violation for Publish to \"" + checked + "\"";
        Subscription watch = observer.subscribe(c.subject());
        try {
            observer.flush(WAIT);
            byte[] probe = ("probe-" + n).getBytes(StandardCharsets.UTF_8);
            conn.publish(c.subject(), probe);
            conn.flush(WAIT);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                Message m = watch.nextMessage(Duration.ofMillis(20));
                if (m != null && new String(m.getData(), StandardCharsets.UTF_8).equals("probe-" + n)) {
                    assertThat(v.messages).as("%s: delivered and yet refused", c).doesNotContain(expected);
                    return true;
                }
                if (v.messages.contains(expected)) {
                    assertThat(watch.nextMessage(Duration.ofMillis(50))).as("%s: refused and yet delivered", c)
                            .isNull();
                    return false;
                }
            }
            throw new AssertionError("neither a delivery nor a violation within " + WAIT + " for " + c
                    + "; errors: " + v.messages);
        } finally {
            watch.unsubscribe();
        }
    }

    /**
     * The operator's audit cells: a purge reaches JetStream (its permissions allow it) and the stream refuses it; a
     * delete is not executed ({@code null}).
     */
    static Boolean operatorAudit(Cell c) throws Exception {
        if (c.subject().contains(".STREAM.DELETE.")) {
            return null;
        }
        String audit = hub.org.subjects().auditStream();
        JetStreamManagement jsm = c.subject().startsWith("$JS." + Permissions.JS_DOMAIN + ".")
                ? observer.jetStreamManagement(JetStreamOptions.builder().domain(Permissions.JS_DOMAIN).build())
                : observer.jetStreamManagement();
        long before = jsm.getStreamInfo(audit).getStreamState().getMsgCount();
        try {
            jsm.purgeStream(audit);
            throw new AssertionError("the audit stream accepted a purge");
        } catch (JetStreamApiException refused) {
            // the request reached JetStream: the operator's permissions allow it, the stream's deny_purge refuses it
            assertThat(refused.getMessage()).containsIgnoringCase("purge");
        }
        assertThat(jsm.getStreamInfo(audit).getStreamState().getMsgCount()).isGreaterThanOrEqualTo(before);
        return true;
    }
}
