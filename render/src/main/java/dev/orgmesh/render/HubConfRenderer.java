package dev.orgmesh.render;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Renders one hub server's {@code nats-server} config from the users of every account. Pure: the same input gives
 * the same text, byte for byte, which keeps re-renders stable.
 */
final class HubConfRenderer {
    private HubConfRenderer() {
    }

    /**
     * Where one hub server listens.
     *
     * @param serverName server name
     * @param host client listener address
     * @param clientPort client port
     * @param leafnodeHost leafnode listener address
     * @param leafnodePort leafnode port
     * @param monitorHost monitoring listener address
     * @param monitorPort monitoring port, 0 for none
     * @param storeDir this server's JetStream store
     */
    record Listeners(String serverName, String host, int clientPort, String leafnodeHost, int leafnodePort,
            String monitorHost, int monitorPort, Path storeDir) {
    }

    /**
     * Routes of a clustered hub.
     *
     * @param name cluster name
     * @param host route listener address of this node
     * @param port route port of this node
     * @param routes every node's route URL, without credentials
     * @param password the route password
     */
    record Routes(String name, String host, int port, List<String> routes, String password) {
        @Override
        public String toString() {
            return "Routes[name=" + name + ", routes=" + routes + ", password=<redacted>]";
        }
    }

    static String render(List<String> companies, Listeners l, Map<String, List<NatsUser>> accounts, String sysNkey,
            Optional<TlsOptions> tls, Optional<Routes> routes) {
        NatsConf c = new NatsConf();
        c.comment("orgmesh hub, rendered by hub-bootstrap from: " + String.join(", ", companies));
        c.comment("Do not edit: change the org file and render again. Users are NKey public keys and bcrypt");
        c.comment("hashes of leaf passwords; a clustered hub also carries its route password (keep this file 0600).");
        c.kv("server_name", l.serverName());
        c.kv("listen", hostPort(l.host(), l.clientPort()));
        if (l.monitorPort() > 0) {
            c.kv("http", hostPort(l.monitorHost(), l.monitorPort()));
        }
        tls.ifPresent(t -> tlsBlock(c, t, t.verifyClients()));
        c.blank();

        c.comment("JetStream in domain '" + Permissions.JS_DOMAIN + "': clients on leaves reach it with that domain.");
        c.open("jetstream");
        c.kv("domain", Permissions.JS_DOMAIN);
        c.kv("store_dir", l.storeDir().toString());
        c.close();
        c.blank();

        c.comment("Leaves log in as their agent's leaf-only user in the company account (see the accounts below),");
        c.comment("so that agent's permissions apply to its leaf, here and on the leaf (nats-server 2.12 or newer:");
        c.comment("docs/adr/0001-hub-auth.md). A leaf that presents no user is refused, and no user is ever the");
        c.comment("default for clients that present no credentials.");
        c.open("leafnodes");
        c.kv("listen", hostPort(l.leafnodeHost(), l.leafnodePort()));
        tls.ifPresent(t -> tlsBlock(c, t, t.verifyClients()));
        c.close();
        c.blank();

        routes.ifPresent(r -> {
            c.open("cluster");
            c.kv("name", r.name());
            c.kv("listen", hostPort(r.host(), r.port()));
            c.open("authorization");
            c.kv("user", "route");
            c.kv("password", r.password());
            c.close();
            c.list("routes", r.routes().stream().map(u -> u.replace("://", "://route:" + r.password() + "@")).toList());
            tls.ifPresent(t -> tlsBlock(c, t, t.caFile() != null));
            c.close();
            c.blank();
        });

        c.kv("system_account", HubRenderer.SYSTEM_ACCOUNT);
        c.blank();
        c.open("accounts");
        c.open(HubRenderer.SYSTEM_ACCOUNT);
        c.openArray("users");
        c.openItem().kv("nkey", sysNkey).close();
        c.closeArray();
        c.close();
        for (Map.Entry<String, List<NatsUser>> account : accounts.entrySet()) {
            c.blank();
            c.open(account.getKey());
            c.raw("jetstream", "enabled");
            c.openArray("users");
            for (NatsUser user : account.getValue()) {
                user(c, user);
            }
            c.closeArray();
            c.close();
        }
        c.close();
        return c.toString();
    }

    private static void user(NatsConf c, NatsUser user) {
        c.comment(user.kind().name().toLowerCase(Locale.ROOT) + " " + user.id()
                + (user.auth() == NatsUser.Auth.LEAF_PASSWORD ? " (through its leaf)" : ""));
        c.openItem();
        if (user.auth() == NatsUser.Auth.NKEY) {
            c.kv("nkey", user.nkey());
            c.list("allowed_connection_types", List.of("STANDARD"));
        } else {
            c.kv("user", user.leafUser());
            c.kv("password", user.leafPasswordBcrypt());
            c.list("allowed_connection_types", List.of("LEAFNODE"));
        }
        UserPermissions p = user.permissions();
        if (!p.isUnrestricted()) {
            c.open("permissions");
            direction(c, "publish", p.publishAllow(), p.publishDeny());
            direction(c, "subscribe", p.subscribeAllow(), p.subscribeDeny());
            c.close();
        }
        c.close();
    }

    private static void direction(NatsConf c, String key, List<String> allow, List<String> deny) {
        if (allow == null && deny.isEmpty()) {
            return;
        }
        c.open(key);
        if (allow != null) {
            c.list("allow", allow);
        }
        if (!deny.isEmpty()) {
            c.list("deny", deny);
        }
        c.close();
    }

    private static void tlsBlock(NatsConf c, TlsOptions t, boolean verify) {
        c.open("tls");
        c.kv("cert_file", t.certFile());
        c.kv("key_file", t.keyFile());
        if (t.caFile() != null) {
            c.kv("ca_file", t.caFile());
        }
        if (verify) {
            c.raw("verify", "true");
        }
        c.close();
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
