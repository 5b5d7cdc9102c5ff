package dev.orgmesh.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.testkit.NatsCli;
import dev.orgmesh.testkit.NatsServer;

/**
 * Starts a real hub from the rendered {@code hub.conf} (two companies, two accounts) and real leaves from the
 * rendered {@code leaf.conf} files, and checks that the rendered credentials and permissions do what
 * docs/architecture.md ("Who may hear and say what") says: on direct connections and through a leaf, an agent can speak
 * where it may and is stopped where it may not.
 */
class RenderedHubTest {
    static final Org KOMODO = OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml"));
    static final Org RIVAL = OrgLoader.load(HubRendererTest.resource("orgs/rival-labs.yaml"));
    static final Subjects S = KOMODO.subjects();
    static final Subjects R = RIVAL.subjects();
    static final Duration WAIT = Duration.ofSeconds(10);
    static final JetStreamOptions HUB_DOMAIN = JetStreamOptions.builder().domain(Permissions.JS_DOMAIN).build();

    @TempDir
    static Path tmp;

    static RenderResult rendered;
    static NatsServer hub;
    static int monitorPort;
    static NatsServer athenaLeaf;
    static NatsServer genesisLeaf;
    static final List<Connection> connections = new ArrayList<>();

    @BeforeAll
    static void startHubAndLeaves() {
        int clientPort = FreePorts.next();
        int leafnodePort = FreePorts.next();
        monitorPort = FreePorts.next();
        RenderOptions options = RenderOptions.defaults().withClient("127.0.0.1", clientPort)
                .withLeafnode("127.0.0.1", leafnodePort).withMonitor("127.0.0.1", monitorPort)
                .withStoreDir(tmp.resolve("jetstream"))
                .withLeafPorts(Map.of("cto-athena", FreePorts.next(), "ceo-genesis", FreePorts.next()))
                .withEnv(Map.of(HubRenderer.HUB_URL_ENV, "nats-leaf://127.0.0.1:" + leafnodePort));
        rendered = new HubRenderer().render(List.of(KOMODO, RIVAL), options, tmp.resolve("out"));

        hub = NatsServer.fromConfigFile(rendered.hubConfigs().getFirst()).clientPort(clientPort)
                .monitorPort(monitorPort).leafnodePort(leafnodePort).storeDir(tmp.resolve("jetstream")).start();
        athenaLeaf = startLeaf("cto-athena");
        genesisLeaf = startLeaf("ceo-genesis");
        await().atMost(WAIT).until(() -> leafAccounts().size() == 2);
    }

    @AfterAll
    static void stop() {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (NatsServer server : new NatsServer[]{genesisLeaf, athenaLeaf, hub}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void leavesLogInToTheirCompanyAccount() {
        assertThat(leafAccounts()).containsExactly("KOMODO_AI", "KOMODO_AI");
    }

    @Test
    void anAgentConnectedDirectlySpeaksWhereItMayAndIsStoppedWhereItMayNot() throws Exception {
        Violations athenaErrors = new Violations();
        Connection athena = direct("cto-athena", athenaErrors);
        Connection genesis = direct("ceo-genesis", new Violations());
        Connection operator = operator("komodo-ai");

        BlockingQueue<Message> genesisInbox = new LinkedBlockingQueue<>();
        genesis.createDispatcher(genesisInbox::add).subscribe(S.inbox("ceo-genesis")).subscribe(S.teamChannel("exec"));
        BlockingQueue<Message> vault = new LinkedBlockingQueue<>();
        operator.createDispatcher(vault::add).subscribe(S.company() + ".vault.>");
        genesis.flush(WAIT);
        operator.flush(WAIT);

        // in its own name only (ADR 0010): a DM or team message claiming another sender is refused by the hub
        athena.publish(S.dm("ceo-genesis", "backend-hephaestus"), bytes("forged"));
        athena.publish(S.team("exec", "ceo-genesis"), bytes("forged"));
        athena.publish(S.dm("ceo-genesis", "cto-athena"), bytes("report"));
        athena.publish(S.team("exec", "cto-athena"), bytes("to the team"));
        assertThat(next(genesisInbox)).extracting(Message::getSubject).isEqualTo(S.dm("ceo-genesis", "cto-athena"));
        assertThat(next(genesisInbox)).extracting(Message::getSubject).isEqualTo(S.team("exec", "cto-athena"));

        athena.subscribe(S.inbox("ceo-genesis"));
        athena.publish(S.vaultGet("ceo-genesis"), bytes("someone else's secrets"));
        athena.publish(S.vaultGet("cto-athena"), bytes("control: my own secrets"));
        athena.flush(WAIT);

        await().atMost(WAIT).untilAsserted(() -> assertThat(athenaErrors.messages).contains(
                "Permissions Violation for Publish to \"" + S.dm("ceo-genesis", "backend-hephaestus") + "\"",
                "Permissions Violation for Publish to \"" + S.team("exec", "ceo-genesis") + "\"",
                "Permissions Violation for Subscription to \"" + S.inbox("ceo-genesis") + "\"",
                "Permissions Violation for Publish to \"" + S.vaultGet("ceo-genesis") + "\""));
        // The control was published after the forbidden request on the same connection, so had the forbidden one
        // got through it would have arrived first.
        assertThat(next(vault).getSubject()).isEqualTo(S.vaultGet("cto-athena"));
        assertThat(vault).isEmpty();
    }

    @Test
    void anotherCompanyIsAnotherWorld() throws Exception {
        Violations athenaErrors = new Violations();
        Connection athena = direct("cto-athena", athenaErrors);
        Connection rivalOperator = operator("rival-labs");
        Connection rhea = direct("lead-rhea", new Violations());

        BlockingQueue<Message> seenByRival = new LinkedBlockingQueue<>();
        rivalOperator.createDispatcher(seenByRival::add).subscribe(">");
        rivalOperator.flush(WAIT);

        athena.publish(S.all("cto-athena"), bytes("komodo news"));
        athena.publish(R.all("cto-athena"), bytes("trying to reach rival"));
        athena.flush(WAIT);
        rhea.publish(R.all("lead-rhea"), bytes("control: rival news"));

        Message first = next(seenByRival);
        assertThat(first.getSubject()).isEqualTo(R.all("lead-rhea"));
        assertThat(new String(first.getData(), StandardCharsets.UTF_8)).isEqualTo("control: rival news");
        assertThat(seenByRival).isEmpty();
        await().atMost(WAIT).untilAsserted(() -> assertThat(athenaErrors.messages)
                .contains("Permissions Violation for Publish to \"" + R.all("cto-athena") + "\""));
    }

    @Test
    void aDirectMessageFromOneLeafReachesTheOtherAgentsLeafAndItsDirectConnection() throws Exception {
        Connection onAthenaLeaf = onLeaf(athenaLeaf, "cto-athena");
        Connection onGenesisLeaf = onLeaf(genesisLeaf, "ceo-genesis");
        Connection genesisDirect = direct("ceo-genesis", new Violations());
        Subscription viaLeaf = onGenesisLeaf.subscribe(S.inbox("ceo-genesis"));
        Subscription viaHub = genesisDirect.subscribe(S.inbox("ceo-genesis"));
        onGenesisLeaf.flush(WAIT);
        genesisDirect.flush(WAIT);

        // Interest crosses the leaf connections asynchronously: publish until both subscribers have one. The seed's
        // way: the contract subject, on the agent's own leaf, with no credentials — the leaf says who sent it.
        await().atMost(WAIT).until(() -> {
            onAthenaLeaf.publish(S.dm("ceo-genesis"), bytes("hello from athena's leaf"));
            onAthenaLeaf.flush(WAIT);
            return viaLeaf.getPendingMessageCount() > 0 && viaHub.getPendingMessageCount() > 0;
        });
        Message got = viaLeaf.nextMessage(WAIT);
        assertThat(new String(got.getData(), StandardCharsets.UTF_8)).isEqualTo("hello from athena's leaf");
        assertThat(got.getSubject()).as("the sender, added by athena's leaf").isEqualTo(S.dm("ceo-genesis",
                "cto-athena"));
        assertThat(viaHub.nextMessage(WAIT).getSubject()).isEqualTo(S.dm("ceo-genesis", "cto-athena"));
    }

    /**
     * The attack of issue 22, through the leaf: a message on athena's leaf that names another sender (the attributed
     * form written out) never arrives; the leaf enforces the permissions the hub gave it. Every contract subject the
     * seed uses comes out of athena's leaf with athena as sender, and an event published on the hub reaches a
     * subscriber on the leaf unchanged (no mapping applies to it twice).
     */
    @Test
    void throughItsLeafAnAgentSpeaksOnlyForItself() throws Exception {
        Connection onAthenaLeaf = onLeaf(athenaLeaf, "cto-athena");
        Connection operator = operator("komodo-ai");
        // the hub passes a leaf the interest it may publish to, so the operator listens on literal subjects
        BlockingQueue<Message> seen = new LinkedBlockingQueue<>();
        Dispatcher d = operator.createDispatcher(seen::add);
        List<String> forged = List.of(S.dm("ceo-genesis", "backend-hephaestus"), S.all("ceo-genesis"),
                S.team("exec", "ceo-genesis"), S.humanHold("backend-hephaestus"));
        forged.forEach(d::subscribe);
        d.subscribe(S.dm("ceo-genesis", "cto-athena"));
        operator.flush(WAIT);
        await().atMost(WAIT).until(() -> {
            forged.forEach(f -> onAthenaLeaf.publish(f, bytes("forged")));
            onAthenaLeaf.publish(S.dm("ceo-genesis"), bytes("control"));
            onAthenaLeaf.flush(WAIT);
            return seen.stream().anyMatch(m -> m.getSubject().equals(S.dm("ceo-genesis", "cto-athena")));
        });
        assertThat(seen).extracting(Message::getSubject).as("only athena's own, attributed control")
                .containsOnly(S.dm("ceo-genesis", "cto-athena"));
        d.unsubscribe(S.dm("ceo-genesis", "cto-athena"));
        operator.flush(WAIT);
        seen.clear();

        // every contract subject of the seed comes out attributed to athena
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(S.all(), S.all("cto-athena"));
        expected.put(S.team("exec"), S.team("exec", "cto-athena"));
        expected.put(S.tasks("role-backend"), S.tasks("role-backend", "cto-athena"));
        expected.put(S.events("security.alert"), S.event("cto-athena", "security.alert"));
        expected.put(S.ask("devops-hermes"), S.ask("devops-hermes", "cto-athena"));
        expected.put(S.humanHold(), S.humanHold("cto-athena"));
        expected.put(S.dlq("inbox"), S.dlq("inbox", "cto-athena"));
        expected.values().forEach(d::subscribe);
        operator.flush(WAIT);
        Set<String> got = new HashSet<>();
        await().atMost(WAIT).until(() -> {
            expected.keySet().forEach(contract -> onAthenaLeaf.publish(contract, bytes("seed")));
            onAthenaLeaf.flush(WAIT);
            for (Message m = seen.poll(200, TimeUnit.MILLISECONDS); m != null; m = seen.poll()) {
                got.add(m.getSubject());
            }
            return got.size() >= expected.size();
        });
        assertThat(got).containsExactlyInAnyOrderElementsOf(expected.values());

        // an event said on the hub reaches athena's leaf as it was said: no mapping applies to it on the way in
        Subscription events = onAthenaLeaf.subscribe(S.eventsMatching("security.>"));
        onAthenaLeaf.flush(WAIT);
        Connection genesis = direct("ceo-genesis", new Violations());
        await().atMost(WAIT).until(() -> {
            genesis.publish(S.event("ceo-genesis", "security.alert"), bytes("from genesis"));
            genesis.flush(WAIT);
            return events.getPendingMessageCount() > 0;
        });
        assertThat(events.nextMessage(WAIT).getSubject()).isEqualTo(S.event("ceo-genesis", "security.alert"));
    }

    @Test
    void aDirectMessageIsStoredInTheInboxStreamAndConsumedThroughTheOtherLeaf() throws Exception {
        JetStreamManagement jsm = operator("komodo-ai").jetStreamManagement();
        String inbox = S.inboxStream();
        String consumer = Subjects.inboxConsumer("ceo-genesis");
        try {
            jsm.getStreamInfo(inbox);
        } catch (JetStreamApiException missing) {
            jsm.addStream(StreamConfiguration.builder().name(inbox).subjects(S.dmAll())
                    .retentionPolicy(RetentionPolicy.WorkQueue).storageType(StorageType.File).build());
        }
        jsm.addOrUpdateConsumer(inbox, ConsumerConfiguration.builder().durable(consumer)
                .filterSubject(S.inbox("ceo-genesis")).ackPolicy(AckPolicy.Explicit).build());

        Connection onAthenaLeaf = onLeaf(athenaLeaf, "cto-athena");
        // The first request also carries athena's reply interest across the leaf; retry until the hub answers.
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> onAthenaLeaf.getStreamContext(inbox, HUB_DOMAIN).getStreamName().equals(inbox));
        PublishAck ack = onAthenaLeaf.jetStream(HUB_DOMAIN).publish(S.dm("ceo-genesis"),
                bytes("stored while genesis was away"),
                PublishOptions.builder().messageId("athena-report-1").expectedStream(inbox).build());
        assertThat(ack.getStream()).isEqualTo(inbox);
        assertThat(ack.getDomain()).isEqualTo(Permissions.JS_DOMAIN);
        assertThat(jsm.getStreamInfo(inbox).getStreamState().getMsgCount()).isEqualTo(1);

        Connection onGenesisLeaf = onLeaf(genesisLeaf, "ceo-genesis");
        Message delivered = await().atMost(WAIT).ignoreExceptions().until(() -> {
            ConsumerContext cc = onGenesisLeaf.getStreamContext(inbox, HUB_DOMAIN).getConsumerContext(consumer);
            return cc.next(Duration.ofSeconds(1));
        }, m -> m != null);
        assertThat(new String(delivered.getData(), StandardCharsets.UTF_8)).isEqualTo("stored while genesis was away");
        assertThat(delivered.getSubject()).isEqualTo(S.dm("ceo-genesis", "cto-athena"));
        delivered.ackSync(WAIT);
        assertThat(jsm.getStreamInfo(inbox).getStreamState().getMsgCount()).isZero();

        // Genesis' leaf may not read athena's inbox consumer.
        assertThat(onGenesisLeaf.getOptions().getInboxPrefix()).isEqualTo("_INBOX.ceo-genesis.");
        jsm.addOrUpdateConsumer(inbox, ConsumerConfiguration.builder().durable(Subjects.inboxConsumer("cto-athena"))
                .filterSubject(S.inbox("cto-athena")).ackPolicy(AckPolicy.Explicit).build());
        Violations genesisErrors = new Violations();
        Connection genesisDirect = direct("ceo-genesis", genesisErrors);
        JetStreamOptions impatient = JetStreamOptions.builder().domain(Permissions.JS_DOMAIN)
                .requestTimeout(Duration.ofMillis(500)).build();
        try {
            genesisDirect.getStreamContext(inbox, impatient).getConsumerContext(Subjects.inboxConsumer("cto-athena"));
            throw new AssertionError("genesis could look into athena's inbox consumer");
        } catch (IOException | JetStreamApiException expected) {
            // refused by the permissions: the request never reaches JetStream
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(genesisErrors.messages).contains(
                "Permissions Violation for Publish to \"$JS.API.CONSUMER.INFO." + inbox + ".dm-cto-athena\""));
    }

    @Test
    void forbiddenTrafficThroughALeafStopsAtTheLeaf() throws Exception {
        Connection onAthenaLeaf = onLeaf(athenaLeaf, "cto-athena");
        Connection operator = operator("komodo-ai");
        Connection genesis = direct("ceo-genesis", new Violations());

        BlockingQueue<Message> vault = new LinkedBlockingQueue<>();
        operator.createDispatcher(vault::add).subscribe(S.company() + ".vault.>");
        operator.flush(WAIT);
        List<String> seen = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            onAthenaLeaf.publish(S.vaultGet("ceo-genesis"), bytes("forbidden"));
            onAthenaLeaf.publish(S.vaultGet("cto-athena"), bytes("control"));
            onAthenaLeaf.flush(WAIT);
            for (Message m = vault.poll(200, TimeUnit.MILLISECONDS); m != null; m = vault.poll()) {
                seen.add(m.getSubject());
            }
            return seen.contains(S.vaultGet("cto-athena"));
        });
        // Each forbidden request went out before its control on the same connection and path.
        vault.forEach(m -> seen.add(m.getSubject()));
        assertThat(seen).isNotEmpty().allMatch(S.vaultGet("cto-athena")::equals);

        Subscription snoop = onAthenaLeaf.subscribe(S.inbox("ceo-genesis"));
        Subscription own = onAthenaLeaf.subscribe(S.inbox("cto-athena"));
        onAthenaLeaf.flush(WAIT);
        await().atMost(WAIT).until(() -> {
            genesis.publish(S.dm("ceo-genesis", "ceo-genesis"), bytes("private to genesis"));
            genesis.publish(S.dm("cto-athena", "ceo-genesis"), bytes("control"));
            genesis.flush(WAIT);
            return own.getPendingMessageCount() > 0;
        });
        assertThat(snoop.getPendingMessageCount()).isZero();
        assertThat(snoop.nextMessage(Duration.ofMillis(200))).isNull();
    }

    @Test
    void aLeafWithoutCredentialsIsRefused() throws Exception {
        Path conf = tmp.resolve("anonymous-leaf.conf");
        int port = FreePorts.next();
        Files.writeString(conf, "listen: \"127.0.0.1:" + port + "\"\nleafnodes { remotes = [ { url: \"nats-leaf://"
                + "127.0.0.1:" + hub.leafnodePort() + "\" } ] }\n");
        long before = Files.readString(hub.logFile()).lines().filter(l -> l.contains("Authentication Failure")).count();
        try (NatsServer anonymous = NatsServer.start(conf, port)) {
            // nats-server 2.12+ refuses a leaf that presents no user when the hub has accounts and no no_auth_user
            // (2.9 let it in, into whatever account leafnodes.authorization named: ADR 0001).
            await().atMost(WAIT).until(() -> Files.readString(hub.logFile()).lines()
                    .filter(l -> l.contains("Leafnode connection closed: Authentication Failure")).count() > before);
            await().atMost(WAIT).until(() -> Files.readString(anonymous.logFile()).contains("Authorization Violation"));
            assertThat(leafAccounts()).containsExactlyInAnyOrder("KOMODO_AI", "KOMODO_AI");
        }
    }

    /**
     * A leaf that ignores the permissions the hub sent it (here: a raw client speaking the leafnode protocol with
     * the agent's leaf password) must still be stopped by the hub. nats-server 2.9 did not check a leaf user's
     * publish permissions on the hub side, only on the honest leaf (ADR 0001); orgmesh needs 2.12 or newer, which
     * does, so this runs everywhere.
     */
    @Test
    void aTamperedLeafIsStoppedByTheHub() throws Exception {
        String password = Files.readString(HubLayout.keysDir(rendered.outDir()).resolve("KOMODO_AI")
                .resolve("cto-athena.leaf-password")).strip();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", hub.leafnodePort())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            var in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String info = in.readLine();
            assertThat(info).startsWith("INFO ");
            var out = socket.getOutputStream();
            out.write(("CONNECT {\"user\":\"" + HubRenderer.leafUserName("komodo-ai", "cto-athena") + "\",\"pass\":\""
                    + password + "\",\"headers\":true,\"name\":\"tampered\"}\r\nPING\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.write(
                    ("LMSG " + S.vaultGet("ceo-genesis") + " 5\r\nhello\r\nPING\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> lines = new ArrayList<>();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
            assertThat(lines).anyMatch(l -> l.startsWith("-ERR") && l.contains("Permissions Violation for Publish"));
        }
    }

    /**
     * The same permissions as the real {@code nats} CLI meets them, with an agent's rendered NKey seed and inbox
     * prefix, the way the seed's agents use {@code nats pub}: its own vault subject is allowed, another member's
     * is refused by the hub, and so is reading another member's DMs.
     */
    @Test
    void theNatsCliWithAnAgentsKeyGetsExactlyThatAgentsPermissions() throws Exception {
        String seed = rendered.agent("cto-athena").seed().toString();
        String prefix = Permissions.inboxPrefix("cto-athena");
        Connection operator = operator("komodo-ai");
        Subscription vault = operator.subscribe(S.vaultGet("cto-athena"));
        operator.flush(WAIT);

        NatsCli.Result own = NatsCli.run("-s", hub.clientUrl(), "--nkey", seed, "--inbox-prefix", prefix, "pub",
                S.vaultGet("cto-athena"), "from the cli");
        assertThat(own.exit()).as(own.output()).isZero();
        Message got = vault.nextMessage(WAIT);
        assertThat(got).isNotNull();
        assertThat(new String(got.getData(), StandardCharsets.UTF_8)).isEqualTo("from the cli");

        NatsCli.Result other = NatsCli.run("-s", hub.clientUrl(), "--nkey", seed, "--inbox-prefix", prefix, "pub",
                S.vaultGet("ceo-genesis"), "forged");
        assertThat(other.exit()).isNotZero();
        assertThat(other.output()).contains("Permissions Violation for Publish to \"" + S.vaultGet("ceo-genesis"));

        NatsCli.Result snoop = NatsCli.run("-s", hub.clientUrl(), "--nkey", seed, "--inbox-prefix", prefix, "sub",
                S.inbox("ceo-genesis"), "--count", "1", "--timeout", "2s");
        assertThat(snoop.output()).contains("Permissions Violation for Subscription to \"" + S.inbox("ceo-genesis"));

        // the seed's `nats pub {co}.exec` straight to the hub names no sender: refused; with the sender token of
        // another member too; in its own name it goes through
        NatsCli.Result plain = NatsCli.run("-s", hub.clientUrl(), "--nkey", seed, "--inbox-prefix", prefix, "pub",
                S.team("exec"), "{}");
        assertThat(plain.output()).contains("Permissions Violation for Publish to \"" + S.team("exec") + "\"");
        NatsCli.Result forged = NatsCli.run("-s", hub.clientUrl(), "--nkey", seed, "--inbox-prefix", prefix, "pub",
                S.team("exec", "ceo-genesis"), "{}");
        assertThat(forged.output()).contains("Permissions Violation for Publish to \"" + S.team("exec",
                "ceo-genesis") + "\"");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    static NatsServer startLeaf(String agent) {
        RenderResult.AgentFiles files = rendered.agent(agent);
        return NatsServer.start(files.leafConf(), files.leafPort());
    }

    /** An agent's direct hub connection with its rendered NKey seed file and its private inbox prefix. */
    static Connection direct(String member, Violations errors) throws Exception {
        Path seed = rendered.agent(member).seed();
        return connect(Options.builder().server(hub.clientUrl()).authHandler(Nats.credentials(null, seed.toString()))
                .inboxPrefix(Permissions.inboxPrefix(member)).errorListener(errors));
    }

    static Connection operator(String company) throws Exception {
        Path seed = HubLayout.serviceSeed(rendered.outDir(), company, HubService.OPERATOR);
        return connect(Options.builder().server(hub.clientUrl()).authHandler(Nats.credentials(null, seed.toString()))
                .errorListener(new Violations()));
    }

    /** A client of an agent's leaf: no credentials, on 127.0.0.1, with the agent's inbox prefix. */
    static Connection onLeaf(NatsServer leaf, String agent) throws Exception {
        return connect(Options.builder().server(leaf.clientUrl()).inboxPrefix(Permissions.inboxPrefix(agent))
                .errorListener(new Violations()));
    }

    static Connection connect(Options.Builder builder) throws Exception {
        Connection c = Nats.connect(builder.connectionTimeout(Duration.ofSeconds(5)).build());
        connections.add(c);
        return c;
    }

    static Message next(BlockingQueue<Message> queue) throws InterruptedException {
        Message m = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("a message within %s", WAIT).isNotNull();
        return m;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<String> leafAccounts() {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitorPort + "/leafz"))
                            .timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return Pattern.compile("\"account\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body()).results()
                    .map(m -> m.group(1)).toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** Collects the server's -ERR messages (permission violations) of one connection. */
    static final class Violations implements ErrorListener {
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void errorOccurred(Connection conn, String error) {
            messages.add(error);
        }
    }
}
