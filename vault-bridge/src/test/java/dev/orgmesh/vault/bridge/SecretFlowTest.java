package dev.orgmesh.vault.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValueOptions;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.command.CommandBrain;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.agent.secret.AgentSecrets;
import dev.orgmesh.agent.service.SecretLogFilter;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.HubLayout;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.Permissions;
import dev.orgmesh.render.RenderOptions;
import dev.orgmesh.render.RenderResult;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.vault.client.VaultClient;
import dev.orgmesh.vault.crypto.Hpke;
import dev.orgmesh.vault.crypto.ReplayGuard;
import dev.orgmesh.vault.crypto.Signatures;
import dev.orgmesh.vault.keys.RenderedAgentKeys;
import dev.orgmesh.vault.policy.SecretPolicy;
import dev.orgmesh.vault.store.EmbeddedStore;
import dev.orgmesh.vault.store.MasterKey;
import dev.orgmesh.vault.store.SecretPath;
import dev.orgmesh.vault.wire.SecretRequest;
import dev.orgmesh.vault.wire.WireCodec;

/**
 * The whole path against a real hub rendered from an org by hub-bootstrap, with the rendered credentials and
 * permissions and the org's JetStream assets applied (file storage): agents connect with their NKey seed and inbox
 * prefix, the bridge with the vault-bridge service credential. Shows who gets what, what is refused, that
 * rotation reaches a running agent, and that a value appears nowhere but in the agent's hands: not on the wire, in
 * any stream, in the JetStream files, the store file, the bridge's logs or the server's log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretFlowTest {
    static final Org ORG = OrgLoader.load(Path.of("src/test/resources/orgs/acme-vault.yaml"));
    static final Subjects S = ORG.subjects();
    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration SHORT = Duration.ofMillis(700);
    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path tmp;

    static NatsServer hub;
    static RenderResult rendered;
    static MasterKey masterKey;
    static EmbeddedStore store;
    static final List<String> values = new CopyOnWriteArrayList<>();
    static String github;
    static String dbPassword;
    static String fly;
    static Connection bridgeConnection;
    static VaultResponder responder;
    static RotationWatcher watcher;
    static Connection operator;
    static Connection alice;
    static Connection bob;
    static NKey aliceKey;
    static final Violations aliceErrors = new Violations();
    static final List<Message> wire = new CopyOnWriteArrayList<>();
    static final LogCapture logs = new LogCapture();
    static final VaultClient client = new VaultClient(S);

    @BeforeAll
    static void startHubBridgeAndAgents() throws Exception {
        java.util.logging.Logger.getLogger("").addHandler(logs);
        int port = FreePorts.next();
        int leafnodePort = FreePorts.next();
        int monitorPort = FreePorts.next();
        RenderOptions options = RenderOptions.defaults().withClient("127.0.0.1", port)
                .withLeafnode("127.0.0.1", leafnodePort).withMonitor("127.0.0.1", monitorPort)
                .withStoreDir(tmp.resolve("jetstream"));
        rendered = new HubRenderer().render(ORG, options, tmp.resolve("render"));
        hub = NatsServer.start(rendered.hubConfigs().getFirst(), port, monitorPort);

        operator = connect(serviceSettings(HubService.OPERATOR), new Violations());
        JetStreamManagement jsm = operator.jetStreamManagement();
        AssetApplier applier = new AssetApplier(jsm, operator.keyValueManagement(KeyValueOptions.builder().build()),
                S.assetPrefix());
        OrgAssets assets = OrgAssets.of(ORG, AssetLimits.defaults());
        applier.apply(assets, applier.plan(assets), false);
        operator.createDispatcher(wire::add).subscribe(">");
        operator.flush(WAIT);

        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        masterKey = MasterKey.fromBase64(Base64.getEncoder().encodeToString(raw));
        store = new EmbeddedStore(tmp.resolve("bridge/vault.store"), masterKey);
        github = secret("ghp_");
        dbPassword = secret("db-");
        fly = secret("fly-");
        store.put(SecretPath.company("GITHUB_TOKEN"), github.getBytes(StandardCharsets.UTF_8));
        store.put(SecretPath.agent("alice", "DB_PASSWORD"), dbPassword.getBytes(StandardCharsets.UTF_8));
        store.put(SecretPath.company("FLY_API_TOKEN"), fly.getBytes(StandardCharsets.UTF_8));

        bridgeConnection = connect(serviceSettings(HubService.VAULT_BRIDGE), new Violations());
        responder = startBridge();
        NatsEvents events = new NatsEvents(bridgeConnection.jetStream(), S);
        SecretPolicy policy = SecretPolicy.of(ORG);
        watcher = new RotationWatcher(store, () -> policy, events).start(Duration.ofMillis(200));

        alice = connect(agentSettings("alice"), aliceErrors);
        bob = connect(agentSettings("bob"), new Violations());
        aliceKey = seed("alice");
    }

    /**
     * A bridge as VaultBridgeService builds it, on the bridge's own credentials: a fresh replay guard (empty memory)
     * over the hub's shared nonce ledger.
     */
    static VaultResponder startBridge() throws Exception {
        NatsEvents events = new NatsEvents(bridgeConnection.jetStream(), S);
        SecretPolicy policy = SecretPolicy.of(ORG);
        KvNonceLedger ledger = new KvNonceLedger(bridgeConnection, S.noncesBucket(), KeyValueOptions.builder().build());
        SecretService service = new SecretService(S, () -> policy, new RenderedAgentKeys(rendered.outDir()), store,
                new ReplayGuard(Duration.ofSeconds(60), 10_000, InstantSource.system(), ledger), events);
        return new VaultResponder(bridgeConnection, service, 16).start(WAIT);
    }

    @AfterAll
    static void stop() throws Exception {
        java.util.logging.Logger.getLogger("").removeHandler(logs);
        if (watcher != null) {
            watcher.close();
        }
        if (responder != null) {
            responder.close();
        }
        for (Connection c : new Connection[]{alice, bob, bridgeConnection, operator}) {
            if (c != null) {
                c.close();
            }
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    @Order(1)
    void anAgentGetsItsOwnAndItsCompanySecretsSealedToIt() throws Exception {
        assertThat(responder.isServing()).isTrue();
        Map<String, byte[]> got = client.fetch(alice, "alice", aliceKey, List.of("GITHUB_TOKEN", "DB_PASSWORD"), WAIT);
        assertThat(got.keySet()).containsExactly("GITHUB_TOKEN", "DB_PASSWORD");
        assertThat(new String(got.get("GITHUB_TOKEN"), StandardCharsets.UTF_8)).isEqualTo(github);
        assertThat(new String(got.get("DB_PASSWORD"), StandardCharsets.UTF_8)).isEqualTo(dbPassword);

        JsonNode event = awaitEvent(e -> e.path("agent").asText().equals("alice")
                && e.path("outcome").asText().equals("granted"));
        assertThat(event.path("names").toString()).isEqualTo("[\"GITHUB_TOKEN\",\"DB_PASSWORD\"]");
        assertThat(event.path("versions").path("GITHUB_TOKEN").asInt()).isEqualTo(1);
        assertThat(event.path("type").asText()).isEqualTo("event");
    }

    @Test
    @Order(2)
    void anAgentAskingForAnotherAgentsSecretIsRefusedAndAudited() throws Exception {
        assertThatThrownBy(() -> client.fetch(alice, "alice", aliceKey, List.of("FLY_API_TOKEN"), WAIT))
                .isInstanceOf(OrgmeshException.class)
                .hasMessage("alice may not read FLY_API_TOKEN: its org entry lists DB_PASSWORD, GITHUB_TOKEN")
                .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_DENIED);
        JsonNode denied = awaitEvent(e -> e.path("outcome").asText().equals("denied")
                && e.path("names").toString().contains("FLY_API_TOKEN"));
        assertThat(denied.path("agent").asText()).isEqualTo("alice");
        assertThat(denied.path("code").asInt()).isEqualTo(ErrorCode.VAULT_DENIED.code());

        // Signed by alice but naming bob, on alice's own subject.
        Message reply = send(alice, S.vaultGet("alice"), signedRequest("bob", List.of("FLY_API_TOKEN"), aliceKey,
                alice.createInbox()));
        assertThat(errorCode(reply)).isEqualTo(ErrorCode.VAULT_DENIED);
        // Signed with a key that is not alice's.
        NKey stranger = NKey.createUser(RANDOM);
        reply = send(alice, S.vaultGet("alice"), signedRequest("alice", List.of("GITHUB_TOKEN"), stranger,
                alice.createInbox()));
        assertThat(errorCode(reply)).isEqualTo(ErrorCode.VAULT_BAD_SIGNATURE);
    }

    @Test
    @Order(3)
    void publishingOnAnotherAgentsVaultSubjectIsStoppedByNats() throws Exception {
        assertThatThrownBy(() -> client.fetch(alice, "bob", aliceKey, List.of("FLY_API_TOKEN"), SHORT))
                .isInstanceOf(OrgmeshException.class)
                .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.REQUEST_TIMEOUT);
        await().atMost(WAIT).untilAsserted(() -> assertThat(aliceErrors.messages)
                .contains("Permissions Violation for Publish to \"" + S.vaultGet("bob") + "\""));
        assertThat(wire).noneMatch(m -> m.getSubject().equals(S.vaultGet("bob")));
        // Bob, on his own subject, gets his.
        NKey bobKey = seed("bob");
        assertThat(new String(client.fetch(bob, "bob", bobKey, List.of("FLY_API_TOKEN"), WAIT).get("FLY_API_TOKEN"),
                StandardCharsets.UTF_8)).isEqualTo(fly);
    }

    @Test
    @Order(4)
    void aReplayedRequestIsRefused() throws Exception {
        String inbox = alice.createInbox();
        byte[] body = WireCodec.encode(new SecretRequest(1, "alice", List.of("GITHUB_TOKEN"), nonce(),
                System.currentTimeMillis(), inbox, WireCodec.b64(Hpke.publicKey(Hpke.newKeyPair()))));
        NatsMessage original = NatsMessage.builder().subject(S.vaultGet("alice")).replyTo(inbox)
                .headers(signature(aliceKey, body)).data(body).build();
        Subscription sub = alice.subscribe(inbox);
        alice.publish(original);
        Message first = sub.nextMessage(WAIT);
        assertThat(Replies.isError(first)).isFalse();
        assertThat(new String(first.getData(), StandardCharsets.UTF_8)).doesNotContain(github);

        alice.publish(original);
        Message second = sub.nextMessage(WAIT);
        assertThat(errorCode(second)).isEqualTo(ErrorCode.VAULT_REPLAY);

        // The bridge restarts (its memory of nonces is gone); the hub's ledger still knows the nonce.
        responder.close();
        responder = startBridge();
        alice.publish(original);
        Message afterRestart = sub.nextMessage(WAIT);
        assertThat(errorCode(afterRestart)).isEqualTo(ErrorCode.VAULT_REPLAY);
        assertThat(header(afterRestart, HeaderNames.SERVICE_ERROR))
                .contains("before a restart");
        sub.unsubscribe();

        // The same signed body with another reply subject (to read the answer elsewhere) is refused before that.
        Message redirected = alice.request(NatsMessage.builder().subject(S.vaultGet("alice"))
                .headers(signature(aliceKey, body)).data(body).build(), WAIT);
        assertThat(errorCode(redirected)).isEqualTo(ErrorCode.VAULT_BAD_REQUEST);
        assertThat(header(redirected, HeaderNames.SERVICE_ERROR)).contains("reply_to");

        // A request from too long ago is refused even with a fresh nonce.
        String inbox2 = alice.createInbox();
        byte[] stale = WireCodec.encode(new SecretRequest(1, "alice", List.of("GITHUB_TOKEN"), nonce(),
                System.currentTimeMillis() - Duration.ofMinutes(5).toMillis(), inbox2,
                WireCodec.b64(Hpke.publicKey(Hpke.newKeyPair()))));
        assertThat(errorCode(sendRaw(alice, inbox2, stale, signature(aliceKey, stale)))).isEqualTo(
                ErrorCode.VAULT_REPLAY);
    }

    @Test
    @Order(5)
    void malformedOversizedAndUnsignedRequestsGetErrorRepliesAndTheBridgeKeepsServing() throws Exception {
        String inbox = alice.createInbox();
        byte[] valid = WireCodec.encode(new SecretRequest(1, "alice", List.of("GITHUB_TOKEN"), nonce(),
                System.currentTimeMillis(), inbox, WireCodec.b64(Hpke.publicKey(Hpke.newKeyPair()))));
        assertThat(errorCode(sendRaw(alice, inbox, valid, null))).isEqualTo(ErrorCode.VAULT_BAD_SIGNATURE);

        byte[] garbage = "{\"v\":1, not json".getBytes(StandardCharsets.UTF_8);
        assertThat(errorCode(sendRaw(alice, alice.createInbox(), garbage, signature(aliceKey, garbage))))
                .isEqualTo(ErrorCode.VAULT_BAD_REQUEST);

        byte[] huge = new byte[WireCodec.MAX_REQUEST_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) 'x');
        Message tooBig = sendRaw(alice, alice.createInbox(), huge, signature(aliceKey, huge));
        assertThat(errorCode(tooBig)).isEqualTo(ErrorCode.VAULT_BAD_REQUEST);
        assertThat(header(tooBig, HeaderNames.SERVICE_ERROR)).contains("exceeds the limit");

        assertThat(errorCode(sendRaw(alice, alice.createInbox(), new byte[0], null)))
                .isEqualTo(ErrorCode.VAULT_BAD_REQUEST);

        byte[] other = "other bytes".getBytes(StandardCharsets.UTF_8);
        assertThat(errorCode(sendRaw(alice, inbox, valid, signature(aliceKey, other))))
                .isEqualTo(ErrorCode.VAULT_BAD_SIGNATURE);

        byte[] noNames = WireCodec.encode(new SecretRequest(1, "alice", List.of(), nonce(),
                System.currentTimeMillis(), inbox, WireCodec.b64(new byte[32])));
        Message empty = sendRaw(alice, inbox, noNames, signature(aliceKey, noNames));
        assertThat(errorCode(empty)).isEqualTo(ErrorCode.VAULT_BAD_REQUEST);
        assertThat(Json.mapper().readTree(empty.getData()).path("error").asText()).isEqualTo("VAULT_BAD_REQUEST");

        assertThat(responder.isServing()).isTrue();
        assertThat(new String(client.fetch(alice, "alice", aliceKey, List.of("GITHUB_TOKEN"), WAIT).get(
                "GITHUB_TOKEN"), StandardCharsets.UTF_8)).isEqualTo(github);
    }

    @Test
    @Order(6)
    void aRotatedSecretIsAnnouncedAndARunningAgentRefetchesIt() throws Exception {
        BlockingQueue<Message> rotated = new LinkedBlockingQueue<>();
        alice.createDispatcher(rotated::add).subscribe(S.event(Subjects.VAULT_SENDER, NatsEvents.ROTATED));
        alice.flush(WAIT);

        String newValue = secret("ghp_rotated_");
        // Another process (the `orgmesh secrets put` command) writes the store the bridge reads.
        int version = new EmbeddedStore(store.file(), masterKey).put(SecretPath.company("GITHUB_TOKEN"),
                newValue.getBytes(StandardCharsets.UTF_8));
        assertThat(version).isEqualTo(2);

        Message m = rotated.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("secret.rotated within %s", WAIT).isNotNull();
        JsonNode event = Json.mapper().readTree(m.getData());
        assertThat(event.path("name").asText()).isEqualTo("GITHUB_TOKEN");
        assertThat(event.path("path").asText()).isEqualTo("company/GITHUB_TOKEN");
        assertThat(event.path("version").asInt()).isEqualTo(2);
        assertThat(event.path("agents").toString()).isEqualTo("[\"alice\"]");

        // What the runtime does on the event: fetch again, no restart.
        Map<String, byte[]> again = client.fetch(alice, "alice", aliceKey, List.of(event.path("name").asText()),
                WAIT);
        assertThat(new String(again.get("GITHUB_TOKEN"), StandardCharsets.UTF_8)).isEqualTo(newValue);
    }

    /**
     * The runtime's side (vault-client/README.md): alice's agent runtime, on her rendered credentials, fetches her
     * secrets at boot with a request signed by her NKey, hands them to a command brain's environment only, scrubs what
     * the brain echoes from its reply and from the log, and picks up a rotation without a restart. The scan of the next
     * test covers everything this one produced (wire, streams, workspace files, logs).
     */
    @Test
    @Order(7)
    void theRuntimeInjectsSecretsIntoTheBrainOnlyScrubsEchoesAndFollowsRotation() throws Exception {
        AgentSoul soul = AgentSoul.of(ORG, "alice", Optional.empty());
        AgentSecrets secrets = new AgentSecrets(soul.agent(), S, aliceKey);
        SecretLogFilter.use(secrets);
        secrets.followRotations(alice);
        assertThat(secrets.fetch(alice, WAIT)).isTrue();
        String current = new String(new EmbeddedStore(store.file(), masterKey).read(SecretPath.company("GITHUB_TOKEN"))
                .orElseThrow().value(), StandardCharsets.UTF_8);
        assertThat(secrets.current()).containsOnlyKeys("GITHUB_TOKEN", "DB_PASSWORD")
                .containsEntry("GITHUB_TOKEN", current);

        Workspace ws = Workspace.at(tmp.resolve("workspaces/alice"));
        RuntimeOptions options = RuntimeOptions.defaults().withFetchWait(Duration.ofMillis(500));
        ws.materialize(soul, options.loopLimits());
        // a brain that tries to leak: it echoes the token in its reply and prints a fingerprint to compare
        String script = "printf '{\"type\":\"report\",\"to\":\"boss\",\"subject\":\"echo\","
                + "\"summary\":\"token=%s sha=%s\"}' \"$GITHUB_TOKEN\" "
                + "\"$(printf %s \"$GITHUB_TOKEN\" | sha256sum | cut -c1-16)\"";
        CommandBrain brain = new CommandBrain(List.of("/bin/sh", "-c", script), ws, Duration.ofSeconds(20), Map.of(),
                List.of(), secrets::current);
        AgentRuntime runtime = new AgentRuntime(alice, agentSettings("alice"), soul, brain, options,
                new SimpleMeterRegistry(), null).filterOutgoing(secrets::scrub).start();
        try {
            JetStreamSubscription boss = operator.jetStream().subscribe(S.inbox("boss"),
                    PullSubscribeOptions.bind(S.inboxStream(), Subjects.inboxConsumer("boss")));
            org.jboss.logging.Logger.getLogger("dev.orgmesh.test").infof("the brain may hold %s", current);

            Envelope report = ask(boss, "echo-1");
            assertThat(report.summary()).isEqualTo("token=[REDACTED:GITHUB_TOKEN] sha=" + sha16(current));

            String rotated = secret("ghp_second_rotation_");
            new EmbeddedStore(store.file(), masterKey).put(SecretPath.company("GITHUB_TOKEN"),
                    rotated.getBytes(StandardCharsets.UTF_8));
            await().atMost(WAIT).until(() -> rotated.equals(secrets.current().get("GITHUB_TOKEN")));
            assertThat(secrets.fetches()).isEqualTo(2);

            Envelope after = ask(boss, "echo-2");
            assertThat(after.summary()).as("the running agent's brain got the rotated value without a restart")
                    .isEqualTo("token=[REDACTED:GITHUB_TOKEN] sha=" + sha16(rotated));
            assertThat(logs.lines).anyMatch(l -> l.contains("the brain may hold [REDACTED:GITHUB_TOKEN]"));
        } finally {
            runtime.close(Duration.ofSeconds(5));
            secrets.close();
        }
    }

    /** Sends a task to alice from the boss and returns the report that comes back to the boss. */
    static Envelope ask(JetStreamSubscription boss, String name) throws Exception {
        String id = name + "-" + Long.toHexString(RANDOM.nextLong()); // unique, so a rerun is not a duplicate
        operator.jetStream().publish(NatsMessage.builder().subject(S.dm("alice", "boss"))
                .headers(new Headers().put(HeaderNames.MSG_ID, id))
                .data(EnvelopeCodec.encode(Envelope.builder().id(id).from("boss").to("alice").type("task")
                        .subject("show your token").build()))
                .build());
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < until) {
            for (Message m : boss.fetch(10, Duration.ofMillis(500))) {
                m.ack();
                Envelope e = EnvelopeCodec.decode(m.getData());
                if (id.equals(e.re())) {
                    return e;
                }
            }
        }
        var ci = operator.jetStreamManagement().getConsumerInfo(S.inboxStream(), Subjects.inboxConsumer("alice"));
        throw new AssertionError("no report to " + id + " within 20s; dm-alice: delivered " + ci.getDelivered()
                + ", ack floor " + ci.getAckFloor() + ", pending " + ci.getNumPending() + ", ack pending "
                + ci.getNumAckPending() + ", waiting " + ci.getNumWaiting() + ", redelivered "
                + ci.getRedelivered());
    }

    static String sha16(String v) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(v.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    @Test
    @Order(8)
    void noValueAppearsOnTheWireInStreamsOnDiskOrInLogs() throws Exception {
        assertThat(values).as("every value made, a rerun's included").hasSizeGreaterThanOrEqualTo(5);
        // the audit stream sources the events stream: wait until it holds the access events.
        await().atMost(WAIT).until(() -> streamMessages(S.auditStream()).stream()
                .anyMatch(m -> m.getSubject().equals(S.event(Subjects.VAULT_SENDER, NatsEvents.ACCESSED))));

        List<String> scanned = new ArrayList<>();
        for (Message m : wire) {
            scanned.add("wire " + m.getSubject());
            assertNoValue("message on " + m.getSubject(), bytes(m));
        }
        assertThat(wire).anyMatch(m -> m.getSubject().startsWith("_INBOX.alice."));

        JetStreamManagement jsm = operator.jetStreamManagement();
        int stored = 0;
        for (String stream : jsm.getStreamNames()) {
            for (MessageInfo mi : streamMessages(stream)) {
                stored++;
                assertNoValue("stream " + stream + " seq " + mi.getSeq(), concat(
                        mi.getSubject().getBytes(StandardCharsets.UTF_8), mi.getData(), headerBytes(mi.getHeaders())));
            }
        }
        assertThat(stored).isGreaterThan(0);
        List<MessageInfo> audit = streamMessages(S.auditStream());
        assertThat(audit).anyMatch(mi -> mi.getSubject().equals(S.event(Subjects.VAULT_SENDER, NatsEvents.ROTATED)));

        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertNoValue("file " + tmp.relativize(f), Files.readAllBytes(f));
            }
        }
        assertNoValue("the hub's log", Files.readAllBytes(hub.logFile()));
        assertThat(logs.lines).isNotEmpty();
        assertThat(logs.lines).anyMatch(l -> l.contains("OM-6000"));
        for (String line : logs.lines) {
            assertNoValue("log line", line.getBytes(StandardCharsets.UTF_8));
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    static String secret(String prefix) {
        byte[] raw = new byte[18];
        RANDOM.nextBytes(raw);
        String v = prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        values.add(v);
        return v;
    }

    static void assertNoValue(String where, byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        for (String v : values) {
            byte[] raw = v.getBytes(StandardCharsets.UTF_8);
            for (String form : List.of(v, Base64.getEncoder().encodeToString(raw),
                    Base64.getUrlEncoder().withoutPadding().encodeToString(raw))) {
                assertThat(text).as("%s must not contain a secret value", where).doesNotContain(form);
            }
        }
    }

    static List<MessageInfo> streamMessages(String stream) throws IOException, JetStreamApiException {
        JetStreamManagement jsm = operator.jetStreamManagement();
        StreamInfo info = jsm.getStreamInfo(stream);
        List<MessageInfo> out = new ArrayList<>();
        for (long seq = info.getStreamState().getFirstSequence(); seq <= info.getStreamState()
                .getLastSequence() && info.getStreamState().getMsgCount() > 0; seq++) {
            try {
                out.add(jsm.getMessage(stream, seq));
            } catch (JetStreamApiException deleted) {
                // a gap (deleted or acked work-queue message)
            }
        }
        return out;
    }

    static byte[] bytes(Message m) {
        return concat(m.getData() == null ? new byte[0] : m.getData(),
                headerBytes(m.hasHeaders() ? m.getHeaders() : null));
    }

    static byte[] headerBytes(Headers h) {
        if (h == null) {
            return new byte[0];
        }
        StringBuilder sb = new StringBuilder();
        h.entrySet().forEach(e -> sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p == null ? 0 : p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            if (p != null) {
                System.arraycopy(p, 0, out, at, p.length);
                at += p.length;
            }
        }
        return out;
    }

    static String nonce() {
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        return WireCodec.b64(n);
    }

    static Headers signature(NKey key, byte[] body) {
        Headers h = new Headers();
        h.put(HeaderNames.SIGNATURE, Signatures.sign(key, body));
        h.put(HeaderNames.SIGNER, Signatures.publicKey(key));
        return h;
    }

    static NatsMessage signedRequest(String agent, List<String> names, NKey key, String inbox) {
        byte[] body = WireCodec.encode(new SecretRequest(1, agent, names, nonce(), System.currentTimeMillis(), inbox,
                WireCodec.b64(Hpke.publicKey(Hpke.newKeyPair()))));
        return NatsMessage.builder().subject("unused").replyTo(inbox).headers(signature(key, body)).data(body)
                .build();
    }

    /** Publishes {@code m}'s body and headers on {@code subject} with its reply subject and waits for the answer. */
    static Message send(Connection c, String subject, NatsMessage m) throws InterruptedException {
        Subscription sub = c.subscribe(m.getReplyTo());
        try {
            c.publish(NatsMessage.builder().subject(subject).replyTo(m.getReplyTo()).headers(m.getHeaders())
                    .data(m.getData()).build());
            Message reply = sub.nextMessage(WAIT);
            assertThat(reply).as("a reply on %s", subject).isNotNull();
            return reply;
        } finally {
            sub.unsubscribe();
        }
    }

    static Message sendRaw(Connection c, String inbox, byte[] body, Headers headers) throws InterruptedException {
        return send(c, S.vaultGet("alice"), NatsMessage.builder().subject("unused").replyTo(inbox)
                .headers(headers == null ? new Headers() : headers).data(body).build());
    }

    static ErrorCode errorCode(Message m) {
        assertThat(Replies.isError(m)).as("an error reply").isTrue();
        return ErrorCode.byCode(Integer.parseInt(header(m, HeaderNames.SERVICE_ERROR_CODE)));
    }

    static String header(Message m, String name) {
        return m.getHeaders().getFirst(name);
    }

    static JsonNode awaitEvent(java.util.function.Predicate<JsonNode> match) {
        return await().atMost(WAIT).until(() -> {
            for (MessageInfo mi : streamMessages(S.eventsStream())) {
                if (mi.getSubject().equals(S.event(Subjects.VAULT_SENDER, NatsEvents.ACCESSED))) {
                    JsonNode n = Json.mapper().readTree(mi.getData());
                    if (match.test(n)) {
                        return n;
                    }
                }
            }
            return null;
        }, n -> n != null);
    }

    static NatsSettings serviceSettings(HubService service) {
        return NatsSettings.of(hub.clientUrl()).withCreds(HubLayout.serviceSeed(rendered.outDir(), S.company(),
                service));
    }

    static NatsSettings agentSettings(String agent) {
        return NatsSettings.of(hub.clientUrl()).withCreds(rendered.agent(agent).seed())
                .withInboxPrefix(Permissions.inboxPrefix(agent));
    }

    static Connection connect(NatsSettings settings, ErrorListener errors) throws Exception {
        return Nats.connect(NatsConnector.options(settings, null, errors));
    }

    static NKey seed(String agent) throws IOException {
        return NKey.fromSeed(Files.readString(rendered.agent(agent).seed()).strip().toCharArray());
    }

    /** Collects the server's -ERR messages (permission violations) of one connection. */
    static final class Violations implements ErrorListener {
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void errorOccurred(Connection conn, String error) {
            messages.add(error);
        }
    }

    /** Every log line of this JVM while the test runs, formatted, with its exception chain. */
    static final class LogCapture extends Handler {
        final List<String> lines = new CopyOnWriteArrayList<>();

        LogCapture() {
            setLevel(java.util.logging.Level.ALL);
        }

        @Override
        public void publish(LogRecord r) {
            String msg = r instanceof org.jboss.logmanager.ExtLogRecord e
                    ? e.getFormattedMessage()
                    : new java.util.logging.SimpleFormatter().formatMessage(r);
            StringBuilder sb = new StringBuilder(r.getLoggerName() + " " + msg);
            for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                sb.append(" | ").append(t);
            }
            lines.add(sb.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
