package dev.orgmesh.render;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.nats.client.NKey;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.HubUrl;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * Org file(s) to a secured hub: renders the hub's {@code nats-server} config (one account per company, a SYS
 * account, one NKey user per agent, human and service with permissions from {@link Permissions}), each agent's leaf
 * config and credentials, and nats CLI contexts for humans and the operator. Layout: {@link HubLayout}; auth scheme:
 * {@code docs/adr/0001-hub-auth.md}.
 *
 * <p>Everything that can be wrong is checked before the first file is written: the org (by {@link OrgLoader}), the
 * hub URL leaves dial (the org's {@code hub.url}, overridden by {@value #HUB_URL_ENV}; port 4222 is refused), ports
 * and name clashes. Keys live in {@code keys/} and are reused, so rendering twice gives identical files.
 */
public final class HubRenderer {
    /** The environment variable that overrides the org file's {@code hub.url} (the seed's name for it). */
    public static final String HUB_URL_ENV = "KOMODO_NATS_HUB";
    /** The system account. */
    public static final String SYSTEM_ACCOUNT = "SYS";

    private static final Logger LOG = Logger.getLogger(HubRenderer.class);

    private final SecureRandom random;

    public HubRenderer() {
        this(new SecureRandom());
    }

    HubRenderer(SecureRandom random) {
        this.random = random;
    }

    /** Loads and validates the org file, then renders it; an invalid org throws before anything is written. */
    public RenderResult render(Path orgFile, RenderOptions options, Path outDir) {
        return render(List.of(OrgLoader.load(orgFile)), options, outDir);
    }

    /** Renders one company's hub. */
    public RenderResult render(Org org, RenderOptions options, Path outDir) {
        return render(List.of(org), options, outDir);
    }

    /** Renders a hub serving several companies, each in its own account. */
    public RenderResult render(List<Org> orgs, RenderOptions options, Path outDir) {
        Path out = outDir.toAbsolutePath().normalize();
        Map<String, List<String>> hubUrls = check(orgs, options);
        SecureFiles.requirePosix();

        SecureFiles.ensureDir(out);
        KeyStore keys = new KeyStore(SecureFiles.privateDir(HubLayout.keysDir(out)), random);

        Map<String, List<NatsUser>> accounts = new LinkedHashMap<>();
        Map<String, RenderResult.AgentFiles> agentFiles = new LinkedHashMap<>();
        List<NatsUser> allUsers = new ArrayList<>();
        for (Org org : orgs) {
            String account = accountName(org.company());
            List<NatsUser> users = new ArrayList<>();
            List<String> leafRemotes = hubUrls.get(org.company());
            String hubUrl = leafRemotes.getFirst();
            for (Agent agent : org.agents()) {
                UserPermissions perms = Permissions.forAgent(org, agent);
                NKey key = keys.user(account, agent.id());
                String publicKey = publicKey(key);
                users.add(new NatsUser(account, NatsUser.Kind.AGENT, agent.id(), publicKey, null, null,
                        NatsUser.Auth.NKEY, perms));
                KeyStore.LeafSecret leaf = keys.leafSecret(account, agent.id());
                String leafUser = leafUserName(org.company(), agent.id());
                users.add(new NatsUser(account, NatsUser.Kind.AGENT, agent.id(), null, leafUser, leaf.bcrypt(),
                        NatsUser.Auth.LEAF_PASSWORD, perms));
                agentFiles.put(agent.id(), writeAgent(out, org, agent, key, publicKey, leafUser, leaf, leafRemotes,
                        options));
            }
            for (Human human : org.humans()) {
                NKey key = keys.user(account, human.id());
                users.add(new NatsUser(account, NatsUser.Kind.HUMAN, human.id(), publicKey(key), null, null,
                        NatsUser.Auth.NKEY, Permissions.forHuman(org, human)));
                Path dir = SecureFiles.privateDir(HubLayout.humanDir(out, human.id()));
                SecureFiles.writePrivate(HubLayout.humanSeed(out, human.id()), KeyStore.seedFileContent(key));
                SecureFiles.writePublic(HubLayout.humanContext(out, human.id()),
                        natsContext(org.company() + ": " + human.name(), hubClientUrl(hubUrl, options),
                                dir.resolve("user.nk"), Permissions.inboxPrefix(human.id())));
            }
            SecureFiles.privateDir(HubLayout.servicesDir(out, org.company()));
            for (HubService service : HubService.values()) {
                NKey key = keys.user(account, service.id());
                users.add(new NatsUser(account, NatsUser.Kind.SERVICE, service.id(), publicKey(key), null, null,
                        NatsUser.Auth.NKEY, Permissions.forService(org, service)));
                SecureFiles.writePrivate(HubLayout.serviceSeed(out, org.company(), service),
                        KeyStore.seedFileContent(key));
            }
            SecureFiles.writePublic(HubLayout.operatorContext(out, org.company()),
                    natsContext(org.company() + " operator", hubClientUrl(hubUrl, options),
                            HubLayout.serviceSeed(out, org.company(), HubService.OPERATOR), null));
            accounts.put(account, users);
            allUsers.addAll(users);
        }
        NKey sys = keys.user(SYSTEM_ACCOUNT, "sys");
        SecureFiles.privateDir(HubLayout.systemSeed(out).getParent());
        SecureFiles.writePrivate(HubLayout.systemSeed(out), KeyStore.seedFileContent(sys));
        String sysKey = publicKey(sys);
        allUsers.add(new NatsUser(SYSTEM_ACCOUNT, NatsUser.Kind.SYSTEM, "sys", sysKey, null, null, NatsUser.Auth.NKEY,
                UserPermissions.unrestricted()));

        List<String> companies = orgs.stream().map(Org::company).toList();
        List<Path> hubConfigs = new ArrayList<>();
        Path storeDir = options.storeDir() != null ? options.storeDir().toAbsolutePath() : out.resolve("jetstream");
        if (options.cluster().isEmpty()) {
            HubConfRenderer.Listeners l = new HubConfRenderer.Listeners(options.serverName(), options.host(),
                    options.clientPort(), options.leafnodeHost(), options.leafnodePort(), options.monitorHost(),
                    options.monitorPort(), storeDir);
            Path file = HubLayout.hubConf(out);
            SecureFiles.writePrivate(file, HubConfRenderer
                    .render(companies, l, accounts, sysKey, options.tls(), Optional.empty())
                    .getBytes(StandardCharsets.UTF_8));
            hubConfigs.add(file);
        } else {
            ClusterOptions cluster = options.cluster().get();
            String routePassword = keys.routePassword();
            List<String> routeUrls = cluster.nodes().stream()
                    .map(n -> "nats-route://" + HubConfRenderer.hostPort(n.host(), n.clusterPort())).toList();
            for (ClusterOptions.Node node : cluster.nodes()) {
                HubConfRenderer.Listeners l = new HubConfRenderer.Listeners(node.serverName(), node.host(),
                        node.clientPort(), node.host(), node.leafnodePort(), node.host(), node.monitorPort(),
                        storeDir.resolve(node.serverName()));
                HubConfRenderer.Routes routes = new HubConfRenderer.Routes(cluster.name(), node.host(),
                        node.clusterPort(), routeUrls, routePassword);
                Path file = HubLayout.hubConf(out, node.serverName());
                SecureFiles.writePrivate(file, HubConfRenderer
                        .render(companies, l, accounts, sysKey, options.tls(), Optional.of(routes))
                        .getBytes(StandardCharsets.UTF_8));
                hubConfigs.add(file);
            }
        }
        LOG.infof("rendered hub for %s into %s: %d users, %d leaves, %d hub config(s)", companies, out,
                allUsers.size(), agentFiles.size(), hubConfigs.size());
        return new RenderResult(out, hubConfigs, agentFiles, allUsers);
    }

    private RenderResult.AgentFiles writeAgent(Path out, Org org, Agent agent, NKey key, String publicKey,
            String leafUser, KeyStore.LeafSecret leaf, List<String> hubUrls, RenderOptions options) {
        String hubUrl = hubUrls.getFirst();
        Path dir = SecureFiles.privateDir(HubLayout.agentDir(out, agent.id()));
        int leafPort = options.leafPortOf(agent.id());
        Path seed = HubLayout.agentSeed(out, agent.id());
        SecureFiles.writePrivate(seed, KeyStore.seedFileContent(key));
        Path leafConf = HubLayout.leafConf(out, agent.id());
        SecureFiles.writePrivate(leafConf,
                LeafConfRenderer.render(org.company(), agent.id(), leafPort,
                        hubUrls.stream().map(u -> withUserInfo(u, leafUser, leaf.password())).toList(), options.tls())
                        .getBytes(StandardCharsets.UTF_8));
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("company", org.company());
        identity.put("account", accountName(org.company()));
        identity.put("agent", agent.id());
        identity.put("public_key", publicKey);
        identity.put("seed_file", seed.getFileName().toString());
        identity.put("inbox_prefix", Permissions.inboxPrefix(agent.id()));
        identity.put("js_domain", Permissions.JS_DOMAIN);
        identity.put("leaf_client_url", "nats://127.0.0.1:" + leafPort);
        identity.put("hub_leaf_url", hubUrl);
        identity.put("hub_client_url", hubClientUrl(hubUrl, options));
        Path identityFile = HubLayout.agentIdentity(out, agent.id());
        SecureFiles.writePublic(identityFile, json(identity));
        return new RenderResult.AgentFiles(org.company(), accountName(org.company()), dir, leafConf, seed,
                identityFile, leafPort, hubUrl, publicKey);
    }

    /** The NATS account of a company: its id upper-cased, dashes to underscores ({@code KOMODO_AI}). */
    public static String accountName(String company) {
        return company.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The leaf-only user of an agent on the hub, qualified by company because user names are server-wide. */
    public static String leafUserName(String company, String agentId) {
        return company + "." + agentId;
    }

    /**
     * The hub URL a company's leaves dial first: {@value #HUB_URL_ENV} if set, else the org's {@code hub.url}, else
     * the rendered hub's own leafnode listener (of its first node, for a cluster). See {@link #hubUrls}.
     */
    public static String hubUrl(Org org, RenderOptions options) {
        return hubUrls(org, options).getFirst();
    }

    /**
     * Every hub URL a company's leaves dial, in order: {@value #HUB_URL_ENV} if set (one URL or several, separated by
     * commas, e.g. each node of a cluster), else the org's {@code hub.url}, else the rendered hub's own leafnode
     * listener, which for a cluster is every node's, so a leaf fails over to another node when its node goes. A bare
     * {@code host:port} gets {@code nats-leaf://}. Port 4222 is refused.
     */
    public static List<String> hubUrls(Org org, RenderOptions options) {
        String fromEnv = options.env().get(HUB_URL_ENV);
        String source;
        List<String> raw;
        if (fromEnv != null && !fromEnv.isBlank()) {
            source = HUB_URL_ENV;
            raw = List.of(fromEnv.split(",")).stream().map(String::trim).filter(u -> !u.isEmpty()).toList();
        } else if (org.hub() != null && org.hub().url() != null) {
            source = "hub.url of " + org.company();
            raw = List.of(org.hub().url());
        } else {
            source = "the rendered hub's leafnode listener";
            if (options.cluster().isPresent()) {
                raw = options.cluster().get().nodes().stream()
                        .map(n -> "nats-leaf://" + HubConfRenderer.hostPort(isWildcard(n.host())
                                ? "127.0.0.1"
                                : n.host(), n.leafnodePort()))
                        .toList();
            } else {
                String host = options.leafnodeHost();
                raw = List.of("nats-leaf://" + HubConfRenderer.hostPort(isWildcard(host) ? "127.0.0.1" : host,
                        options.leafnodePort()));
            }
        }
        List<String> urls = new ArrayList<>();
        for (String url : raw) {
            String u = url.contains("://") ? url : "nats-leaf://" + url;
            try {
                urls.add(HubUrl.check(u));
            } catch (IllegalArgumentException e) {
                throw new OrgmeshException(ErrorCode.ORG_BAD_HUB_URL, source + ": " + e.getMessage());
            }
        }
        return List.copyOf(urls);
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    /** Validates everything that can be validated without touching the disk; returns the hub URL per company. */
    private static Map<String, List<String>> check(List<Org> orgs, RenderOptions options) {
        if (orgs.isEmpty()) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED, "nothing to render: no org given");
        }
        List<String> problems = new ArrayList<>();
        Set<String> companies = new HashSet<>();
        Map<String, String> memberCompany = new HashMap<>();
        Set<String> agentIds = new HashSet<>();
        Map<String, List<String>> hubUrls = new LinkedHashMap<>();
        for (Org org : orgs) {
            if (!companies.add(org.company())) {
                problems.add("company '" + org.company() + "' is given twice");
            }
            String account = accountName(org.company());
            if (account.equals(SYSTEM_ACCOUNT)) {
                problems.add("company '" + org.company() + "' would be account " + account
                        + ", which the hub reserves; rename the company");
            }
            for (var member : org.members()) {
                String other = memberCompany.putIfAbsent(member.id(), org.company());
                if (other != null && !other.equals(org.company())) {
                    problems.add("member id '" + member.id() + "' is used by both " + other + " and "
                            + org.company()
                            + "; rendered files are keyed by member id, so ids must be unique on a hub");
                }
            }
            org.agents().forEach(a -> agentIds.add(a.id()));
            hubUrls.put(org.company(), hubUrls(org, options));
        }
        for (String id : options.leafPorts().keySet()) {
            if (!agentIds.contains(id)) {
                problems.add("leaf port given for unknown agent '" + id + "'");
            }
        }
        List<Integer> ports = new ArrayList<>(
                List.of(options.clientPort(), options.leafnodePort(), options.leafPort()));
        ports.addAll(options.leafPorts().values());
        if (options.monitorPort() != 0) {
            ports.add(options.monitorPort());
        }
        for (int port : ports) {
            if (port < 1 || port > 65535) {
                problems.add("port " + port + " is out of range 1..65535");
            }
        }
        if (!problems.isEmpty()) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED,
                    "cannot render the hub:\n  - " + String.join("\n  - ", problems));
        }
        return hubUrls;
    }

    private static String withUserInfo(String url, String user, String password) {
        try {
            URI uri = new URI(url);
            return uri.getScheme() + "://" + user + ":" + password + "@" + uri.getHost() + ":" + uri.getPort();
        } catch (URISyntaxException e) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED, "cannot build the leaf remote URL from " + url);
        }
    }

    /** Where direct clients reach the hub: the host leaves dial, on the client port. */
    private static String hubClientUrl(String hubLeafUrl, RenderOptions options) {
        String host = URI.create(hubLeafUrl).getHost();
        int port = options.cluster().map(c -> c.nodes().getFirst().clientPort()).orElse(options.clientPort());
        return (options.tls().isPresent() ? "tls://" : "nats://") + host + ":" + port;
    }

    /** A nats CLI context ({@code nats context import}) that logs in with an NKey seed file. */
    private static byte[] natsContext(String description, String url, Path nkeyFile, String inboxPrefix) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("description", description);
        ctx.put("url", url);
        ctx.put("nkey", nkeyFile.toString());
        ctx.put("jetstream_domain", Permissions.JS_DOMAIN);
        if (inboxPrefix != null) {
            ctx.put("inbox_prefix", inboxPrefix);
        }
        return json(ctx);
    }

    private static byte[] json(Map<String, Object> value) {
        try {
            return (Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED, "cannot write JSON: " + e.getOriginalMessage());
        }
    }

    private static String publicKey(NKey key) {
        try {
            return new String(key.getPublicKey());
        } catch (GeneralSecurityException | IOException e) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED, "cannot derive an NKey public key", e);
        }
    }
}
