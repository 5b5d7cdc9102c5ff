package dev.orgmesh.console;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.awaitility.Awaitility;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;

import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * The seed's org (examples/komodo-ai.yaml, which the console shows in tests) made real on the test server: its
 * JetStream assets through messaging's applier, plus the oversight buckets where the applier does not create them
 * yet, and helpers that put what the services would (beacons, approvals, budget counters, dead letters).
 */
final class OrgFixture {
    static final Org ORG = OrgLoader.load(Path.of("../examples/komodo-ai.yaml"));
    static final Subjects S = ORG.subjects();

    private OrgFixture() {
    }

    /** Applies the org's assets and makes sure the approvals and budgets buckets exist. Idempotent. */
    static void apply(Connection c) throws Exception {
        AssetApplier applier = new AssetApplier(c.jetStreamManagement(), c.keyValueManagement(), S.assetPrefix());
        OrgAssets assets = OrgAssets.of(ORG, AssetLimits.defaults());
        applier.apply(assets, applier.plan(assets), false);
        KeyValueManagement kvm = c.keyValueManagement();
        for (String bucket : List.of(S.approvalsBucket(), S.budgetsBucket())) {
            try {
                kvm.getStatus(bucket);
            } catch (JetStreamApiException missing) {
                kvm.create(KeyValueConfiguration.builder().name(bucket).storageType(StorageType.File)
                        .maxHistoryPerKey(5).build());
            }
        }
    }

    static void beacon(Connection c, String member, String status) throws Exception {
        c.keyValue(S.presenceBucket()).put(member,
                new Presence(member, Instant.now(), Duration.ofMinutes(1).toMillis(), status).encode());
    }

    /** Puts a pending approval as the approval desk would after a gate held a task to the devops role. */
    static Approval hold(Connection c, String id, String summary, List<String> approvers) throws Exception {
        Envelope task = Envelope.builder().id("msg-" + id).from("cto-athena").to("role:role-devops").type("task")
                .subject(summary).build();
        Approval a = new Approval(id, "devops-tasks", Approval.PENDING, S.tasks("role-devops", "cto-athena"), task.id(),
                task.from(), task.to(), task.type(), summary, Json.mapper().readTree(EnvelopeCodec.encode(task)),
                approvers, Instant.now(), Instant.now().plus(Duration.ofHours(4)), "deny", null, null, null);
        c.keyValue(S.approvalsBucket()).put(id, a.encode());
        return a;
    }

    static Approval approval(Connection c, String id) throws Exception {
        return Approval.decode(c.keyValue(S.approvalsBucket()).get(id).getValue());
    }

    static void spend(Connection c, String scopeId, long tokens, long microUsd) throws Exception {
        String day = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC).format(Instant.now());
        c.keyValue(S.budgetsBucket()).put("spend." + scopeId + ".d" + day,
                ("{\"tokens\":" + tokens + ",\"micro_usd\":" + microUsd + "}").getBytes());
    }

    static void limit(Connection c, String scopeId, String json) throws Exception {
        c.keyValue(S.budgetsBucket()).put("limit." + scopeId, json.getBytes());
    }

    /** A dead letter of a task {@code cto-athena} could not handle. */
    static void deadLetter(Connection c, String envelopeId, String subjectLine) throws Exception {
        Envelope poison = Envelope.builder().id(envelopeId).from("ceo-genesis").to("cto-athena").type("task")
                .subject(subjectLine).build();
        // stored as ceo-genesis said it, then moved to the dead letters by cto-athena's runtime
        Headers h = new Headers().put(HeaderNames.MSG_ID, envelopeId);
        c.jetStream().publish(S.dm("cto-athena", "ceo-genesis"), h, EnvelopeCodec.encode(poison));
        var jsm = c.jetStreamManagement();
        MessageInfo stored = Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> jsm.getLastMessage(S.inboxStream(), S.dm("cto-athena", "ceo-genesis")),
                        m -> envelopeId.equals(m.getHeaders().getFirst(HeaderNames.MSG_ID)));
        new DeadLetters(c.jetStream(), jsm, S, Duration.ofSeconds(5), "cto-athena")
                .move(S.inboxStream(), stored.getSeq(), ErrorCode.AGENT_HANDLER_FAILED, "brain failed 5 times")
                .orElseThrow();
    }
}
