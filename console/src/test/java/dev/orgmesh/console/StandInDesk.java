package dev.orgmesh.console;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;

/**
 * A small stand-in for hub-bootstrap's approval desk in these tests: a real NATS responder on
 * {@code {co}.human.approve|deny} that decides by compare-and-set on the record in the approvals bucket and answers
 * with the updated approval or the service error headers, as docs/oversight.md specifies. It does not release or
 * notify anything; the console only needs the request/reply half. Every request it got is kept for assertions.
 */
final class StandInDesk implements AutoCloseable {
    /** One request as received. */
    record Request(String subject, String id, String by, String reason) {
    }

    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final Connection connection;
    private final Dispatcher dispatcher;
    private final KeyValue kv;

    StandInDesk(Connection connection) throws Exception {
        this.connection = connection;
        this.kv = connection.keyValue(OrgFixture.S.approvalsBucket());
        this.dispatcher = connection.createDispatcher(this::handle);
        dispatcher.subscribe(OrgFixture.S.humanApprove(Subjects.ANY));
        dispatcher.subscribe(OrgFixture.S.humanDeny(Subjects.ANY));
    }

    private void handle(Message m) {
        try {
            Approval.Decision d = Json.mapper().readValue(m.getData(), Approval.Decision.class);
            Request r = new Request(m.getSubject(), d.id(), d.by(), d.reason());
            requests.add(r);
            boolean approve = OrgFixture.S.attribution(m.getSubject()).map(Subjects.Attribution::contract)
                    .orElse("").equals(OrgFixture.S.humanApprove());
            KeyValueEntry e = r.id() == null ? null : kv.get(r.id());
            if (e == null || e.getValue() == null) {
                error(m, 8000, "no held message with approval id " + r.id());
                return;
            }
            Approval a = Approval.decode(e.getValue());
            if (!a.open()) {
                error(m, 8001, r.id() + " was already " + a.status());
            } else if (!a.approvers().contains(r.by())) {
                error(m, 8002, r.by() + " is not an approver of gate " + a.gate());
            } else if (!approve && (r.reason() == null || r.reason().isBlank())) {
                error(m, 8003, "a denial needs a reason");
            } else {
                Approval decided = a.decided(approve ? Approval.APPROVED : Approval.DENIED, r.by(), Instant.now(),
                        r.reason());
                kv.update(r.id(), decided.encode(), e.getRevision());
                connection.publish(m.getReplyTo(), decided.encode());
            }
        } catch (Exception ex) {
            error(m, 8003, ex.toString());
        }
    }

    private void error(Message m, int code, String message) {
        Headers h = new Headers();
        h.put(HeaderNames.SERVICE_ERROR, message);
        h.put(HeaderNames.SERVICE_ERROR_CODE, String.valueOf(code));
        connection.publish(m.getReplyTo(), h, ("{\"code\":" + code + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        connection.closeDispatcher(dispatcher);
    }
}
