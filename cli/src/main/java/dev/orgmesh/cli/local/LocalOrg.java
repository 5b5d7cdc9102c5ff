package dev.orgmesh.cli.local;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;

import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgApplier;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.ops.OrgStatus;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.nats.NatsServerInstall;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.ClusterOptions;
import dev.orgmesh.render.HubLayout;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.Permissions;
import dev.orgmesh.render.RenderOptions;

/**
 * A whole org on this machine, on 127.0.0.1 ({@code deploy/README.md}, "Local"): the hub (one server, or a JetStream
 * cluster of three or more nodes), one leaf per agent, the
 * hub-bootstrap (directory), heartbeat, vault-bridge, the console and every agent, each a background process with its
 * log under {@code <state>/logs}. {@link #up} refuses to start twice and leaves nothing running when a step fails;
 * {@link #down} stops what {@code up} started and nothing else.
 */
public final class LocalOrg {
    /** Stream and bucket replicas on a clustered hub. */
    public static final int CLUSTER_REPLICAS = 3;

    /** How long {@code up} waits for every agent to be present. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Path home;
    private final Path stateRoot;
    private final Map<String, String> env;
    private final Consumer<String> progress;

    /**
     * @param home the orgmesh checkout (service jars under {@code <module>/target/quarkus-app})
     * @param stateRoot where state directories live ({@code .orgmesh} by default)
     * @param env the environment ({@code PATH}, {@code ORGMESH_NATS_SERVER}, {@code ORGMESH_CACHE}), passed in so tests control it
     */
    public LocalOrg(Path home, Path stateRoot, Map<String, String> env, Consumer<String> progress) {
        this.home = home;
        this.stateRoot = stateRoot;
        this.env = env;
        this.progress = progress;
    }

    /** The state directory of a company. */
    public Path stateDir(String company) {
        return stateRoot.resolve(company);
    }

    /** What {@code up} tells the operator. */
    public record Started(Org org, Path stateDir, String operatorUrl, Path operatorCreds, Path logs, int processes,
            String consoleUrl) {
    }

    /** Starts the org with a one-server hub. */
    public Started up(Path orgFile, int basePort) throws IOException, InterruptedException {
        return up(orgFile, basePort, 1);
    }

    /**
     * Starts the org with a hub of {@code hubNodes} servers: 1, or 3 and more for a JetStream cluster (routes between
     * the nodes with their own route password, the same accounts and users on every node, streams and buckets at
     * replicas 3, every leaf given every node's leafnode URL).
     */
    public Started up(Path orgFile, int basePort, int hubNodes) throws IOException, InterruptedException {
        if (hubNodes == 2) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE, "--hub-nodes 2: use 1 (one hub server) or 3 or more;"
                    + " JetStream replicas 3 needs 3 nodes, and a 2-node cluster loses its JetStream quorum when either"
                    + " node stops");
        }
        Org org = OrgLoader.load(orgFile);
        Path state = stateDir(org.company());
        LocalProcesses processes = new LocalProcesses(state);
        List<LocalProcesses.Entry> running = processes.running();
        if (!running.isEmpty()) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE, org.company() + " is already running (" + running.size()
                    + " processes, state in " + state + "); run 'orgmesh down " + orgFile + "' first");
        }
        checkJars();
        Path natsServer = NatsServerInstall.find(home, env, progress);
        LocalPorts ports = LocalPorts.of(org, basePort, hubNodes);
        ports.checkFree();
        try {
            return start(orgFile.toAbsolutePath(), org, state, processes, ports, natsServer);
        } catch (IOException | InterruptedException | RuntimeException e) {
            progress.accept("failed: " + e.getMessage() + "; stopping what was started");
            processes.stopAll(Duration.ofSeconds(5));
            throw e;
        }
    }

    private Started start(Path orgFile, Org org, Path state, LocalProcesses processes, LocalPorts ports,
            Path natsServer)
            throws IOException, InterruptedException {
        Path render = state.resolve("render");
        Path logs = state.resolve("logs");
        Files.createDirectories(logs);
        int nodes = ports.hubNodes();
        List<String> leafUrls = new ArrayList<>();
        Map<String, String> hubNodes = new LinkedHashMap<>();
        for (int k = 0; k < nodes; k++) {
            leafUrls.add("nats-leaf://127.0.0.1:" + ports.hubLeafnode(k));
            hubNodes.put(nodes == 1 ? "hub" : hubNodeName(k), "nats://127.0.0.1:" + ports.hubClient(k));
        }
        String hubLeafUrl = leafUrls.getFirst();
        RenderOptions options = RenderOptions.defaults()
                .withServerName(org.company() + "-hub")
                .withClient("127.0.0.1", ports.hubClient())
                .withLeafnode("127.0.0.1", ports.hubLeafnode())
                .withMonitor("127.0.0.1", ports.hubMonitor())
                .withStoreDir(state.resolve("jetstream"))
                .withLeafPorts(leafPorts(org, ports))
                // every leaf lists every node, so it dials another when its node goes
                .withEnv(Map.of(HubRenderer.HUB_URL_ENV, String.join(",", leafUrls)));
        if (nodes > 1) {
            List<ClusterOptions.Node> cluster = new ArrayList<>();
            for (int k = 0; k < nodes; k++) {
                cluster.add(new ClusterOptions.Node(hubNodeName(k), "127.0.0.1", ports.hubClient(k),
                        ports.hubRoute(k), ports.hubLeafnode(k), ports.hubMonitor(k)));
            }
            options = options.withCluster(new ClusterOptions(org.company() + "-hub", cluster));
        }
        progress.accept("rendering hub and leaf configs into " + render);
        new HubRenderer().render(org, options, render);

        if (nodes == 1) {
            progress.accept("starting the hub on 127.0.0.1:" + ports.hubClient() + " (leafnodes on "
                    + ports.hubLeafnode() + ")");
            spawn(processes, "hub", logs, List.of(natsServer.toString(), "-c", HubLayout.hubConf(render).toString()),
                    Map.of());
        } else {
            for (int k = 0; k < nodes; k++) {
                progress.accept("starting hub node " + hubNodeName(k) + " on 127.0.0.1:" + ports.hubClient(k)
                        + " (leafnodes on " + ports.hubLeafnode(k) + ", routes on " + ports.hubRoute(k) + ")");
                spawn(processes, hubNodeName(k), logs, List.of(natsServer.toString(), "-c",
                        HubLayout.hubConf(render, hubNodeName(k)).toString()), Map.of());
            }
        }
        String hubUrl = String.join(",", hubNodes.values());
        Path operatorCreds = HubLayout.serviceSeed(render, org.company(), HubService.OPERATOR);
        NatsSettings operator = NatsSettings.of(hubUrl).withCreds(operatorCreds).withName("orgmesh-up");
        int replicas = nodes == 1 ? 1 : CLUSTER_REPLICAS;
        try (Connection c = awaitConnect(operator, Duration.ofSeconds(20))) {
            awaitJetStream(c, nodes, Duration.ofSeconds(30));
            progress.accept("applying the org's JetStream assets" + (replicas > 1 ? " at replicas " + replicas : ""));
            new OrgApplier(c, operator).apply(org, Files.readString(orgFile),
                    AssetLimits.defaults().withReplicas(replicas), false);
        }

        for (Agent a : org.agents()) {
            spawn(processes, "leaf:" + a.id(), logs,
                    List.of(natsServer.toString(), "-c", HubLayout.leafConf(render, a.id()).toString()), Map.of());
        }
        progress.accept("started " + org.agents().size() + " leaves");

        String java = javaBinary();
        spawn(processes, "hub-bootstrap", logs, service(java, "hub-bootstrap", ports.bootstrapHttp(), hubUrl,
                HubLayout.serviceSeed(render, org.company(), HubService.HUB_BOOTSTRAP), null,
                // it applies the org again at start: at the same replicas, or it would shrink the streams to R1
                List.of("-Dorgmesh.bootstrap.org-file=" + orgFile, "-Dorgmesh.bootstrap.replicas=" + replicas)),
                Map.of());
        spawn(processes, "heartbeat", logs, service(java, "heartbeat", ports.heartbeatHttp(), hubUrl,
                HubLayout.serviceSeed(render, org.company(), HubService.HEARTBEAT), null,
                List.of("-Dorgmesh.heartbeat.org-file=" + orgFile)), Map.of());
        String masterKey = env.get("ORGMESH_VAULT_MASTER_KEY");
        Path store = env.containsKey("ORGMESH_VAULT_STORE")
                ? Path.of(env.get("ORGMESH_VAULT_STORE"))
                : state.resolve("vault.store");
        if (masterKey == null || masterKey.isBlank()) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            masterKey = Base64.getEncoder().encodeToString(key);
            store = state.resolve("vault-ephemeral.store");
            Files.deleteIfExists(store);
            progress.accept(
                    "no ORGMESH_VAULT_MASTER_KEY: vault-bridge runs with a key for this run only and an empty store;"
                            + " set the variable and use 'orgmesh secrets put' to give agents their secrets");
        }
        // The master key goes to the bridge through its environment, never its command line or a file.
        spawn(processes, "vault-bridge", logs, service(java, "vault-bridge", ports.vaultHttp(), hubUrl,
                HubLayout.serviceSeed(render, org.company(), HubService.VAULT_BRIDGE), null,
                List.of("-Dorgmesh.vault.org-file=" + orgFile, "-Dorgmesh.vault.keys-dir=" + render,
                        "-Dorgmesh.vault.store-path=" + store)),
                Map.of("ORGMESH_VAULT_MASTER_KEY", masterKey));
        // The console connects as the operator, like ./orgmesh does: it sees every subject and may decide approvals.
        // Its login token goes through its environment (never a command line or a file) and into the URL printed.
        String consoleToken = consoleToken(operatorCreds);
        spawn(processes, "console", logs, service(java, "console", ports.consoleHttp(), hubUrl, operatorCreds, null,
                List.of("-Dorgmesh.console.org-file=" + orgFile)), Map.of("ORGMESH_CONSOLE_TOKEN", consoleToken));
        for (Agent a : org.agents()) {
            String leafUrl = "nats://127.0.0.1:" + ports.leaf(a.id());
            spawn(processes, "agent:" + a.id(), logs,
                    service(java, "agent-runtime", ports.agentHttp(a.id()), leafUrl, null,
                            Permissions.inboxPrefix(a.id()),
                            List.of("-Dorgmesh.nats.domain=hub", "-Dorgmesh.agent.org-file=" + orgFile,
                                    "-Dorgmesh.agent.id=" + a.id(), "-Dorgmesh.agent.hub-url=" + hubLeafUrl,
                                    // vault requests are signed with the agent's own NKey (vault-bridge/README.md)
                                    "-Dorgmesh.agent.nkey-file=" + HubLayout.agentSeed(render, a.id()))),
                    Map.of());
        }
        progress.accept("started hub-bootstrap, heartbeat, vault-bridge, the console and " + org.agents().size()
                + " agents; waiting for every agent to be present");
        new LocalState(hubUrl, operatorCreds, hubNodes).write(state);
        awaitPresent(org, operator, processes, logs);
        return new Started(org, state, hubUrl, operatorCreds, logs, processes.read().size(),
                "http://127.0.0.1:" + ports.consoleHttp() + "/?token=" + consoleToken);
    }

    /** The server name (and process name) of hub node {@code k} (from 0) of a clustered hub: hub-1, hub-2, … */
    public static String hubNodeName(int k) {
        return "hub-" + (k + 1);
    }

    /**
     * Waits until JetStream answers the operator's account: at once on one server; on a cluster once the nodes have
     * routed to each other and elected a meta leader, before which asset requests are refused.
     */
    private void awaitJetStream(Connection c, int nodes, Duration within) throws InterruptedException, IOException {
        Instant deadline = Instant.now().plus(within);
        JetStreamManagement jsm = c.jetStreamManagement();
        while (true) {
            try {
                jsm.getAccountStatistics();
                if (nodes > 1) {
                    progress.accept("the hub's " + nodes + " nodes formed a JetStream cluster");
                }
                return;
            } catch (JetStreamApiException | IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "the hub's JetStream did not answer within "
                            + within.toSeconds() + " s (" + e.getMessage() + "); see the hub logs");
                }
                Thread.sleep(Duration.ofMillis(250));
            }
        }
    }

    /**
     * The console's login token, derived from the operator's NKey seed (HMAC-SHA256), so whoever holds the operator's
     * credentials can log in and nothing else needs storing; the seed itself never leaves its 0600 file.
     */
    static String consoleToken(Path operatorSeed) throws IOException {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Files.readAllBytes(operatorSeed), "HmacSHA256"));
            byte[] token = mac.doFinal("orgmesh console login".getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    private void awaitPresent(Org org, NatsSettings operator, LocalProcesses processes, Path logs)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        long lastUp = -1;
        try (Connection c = awaitConnect(operator, Duration.ofSeconds(10))) {
            while (true) {
                List<OrgStatus.Row> rows = OrgStatus.read(c, operator, org, Instant.now());
                long up = rows.stream()
                        .filter(r -> r.member() instanceof Agent && r.presence() == Liveness.UP).count();
                if (up != lastUp) {
                    progress.accept(up + " of " + org.agents().size() + " agents present");
                    lastUp = up;
                }
                if (up == org.agents().size()) {
                    return;
                }
                for (LocalProcesses.Entry e : processes.read()) {
                    if (LocalProcesses.live(e).isEmpty()) {
                        throw new OrgmeshException(ErrorCode.CLI_USAGE, e.name() + " exited; last lines of its log:\n"
                                + tail(logs.resolve(e.name().replace(':', '-') + ".log"), 15));
                    }
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "only " + up + " of " + org.agents().size()
                            + " agents became present within " + READY_TIMEOUT.toSeconds() + " s; see the logs");
                }
                Thread.sleep(Duration.ofMillis(500));
            }
        }
    }

    private static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    /** Stops everything {@code up} started for the org's company; returns the names stopped. */
    public List<String> down(Path orgFile) throws IOException {
        Org org = OrgLoader.load(orgFile);
        return new LocalProcesses(stateDir(org.company())).stopAll(Duration.ofSeconds(10));
    }

    private List<String> service(String java, String module, int httpPort, String natsUrl, Path creds,
            String inboxPrefix,
            List<String> props) {
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dquarkus.http.port=" + httpPort, "-Dorgmesh.nats.url=" + natsUrl));
        if (creds != null) {
            cmd.add("-Dorgmesh.nats.creds=" + creds);
        }
        if (inboxPrefix != null) {
            cmd.add("-Dorgmesh.nats.inbox-prefix=" + inboxPrefix);
        }
        cmd.addAll(props);
        cmd.add("-jar");
        cmd.add(jar(module).toString());
        return cmd;
    }

    private void spawn(LocalProcesses processes, String name, Path logs, List<String> command, Map<String, String> env)
            throws IOException {
        Path log = logs.resolve(name.replace(':', '-') + ".log");
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        String cmd = p.toHandle().info().command().orElse(command.getFirst());
        processes.add(new LocalProcesses.Entry(name, p.pid(), cmd, Instant.now()));
    }

    private static Connection awaitConnect(NatsSettings settings, Duration within) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        while (true) {
            try {
                return NatsConnector.connect(settings);
            } catch (OrgmeshException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(Duration.ofMillis(200));
            }
        }
    }

    private static Map<String, Integer> leafPorts(Org org, LocalPorts ports) {
        Map<String, Integer> m = new LinkedHashMap<>();
        org.agents().forEach(a -> m.put(a.id(), ports.leaf(a.id())));
        return m;
    }

    private void checkJars() {
        for (String m : List.of("hub-bootstrap", "heartbeat", "vault-bridge", "console", "agent-runtime")) {
            if (!Files.exists(jar(m))) {
                throw new OrgmeshException(ErrorCode.CLI_FILE_NOT_FOUND,
                        jar(m) + " is missing; build with ./mvnw -B package -DskipTests"
                                + " (./orgmesh does this on first use); nothing was started");
            }
        }
    }

    private Path jar(String module) {
        return home.resolve(module).resolve("target").resolve("quarkus-app").resolve("quarkus-run.jar");
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
