package dev.orgmesh.cli.fly;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.HubUrl;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.HubLayout;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.Permissions;
import dev.orgmesh.render.RenderOptions;

/**
 * An org laid out on Fly.io, computed without touching the disk: one app per deployable, each with its
 * {@code fly.toml}, the files and secrets it needs, and the {@code fly} commands in the order they must run. Every
 * problem (an invalid org, app names that clash or are too long, a hub URL on the client port) is found here, before
 * {@link FlyWriter} writes anything.
 *
 * <p>Topology on Fly ({@code deploy/README.md}, "Fly.io"):
 * <ul>
 * <li>{@code <prefix>-nats-hub}: nats-server with the rendered {@code hub.conf}; JetStream on a volume; client 4222
 * and leafnode 7422 bound to {@code [::]} so peers reach them over Fly's IPv6 private network (6PN) as
 * {@code <app>.internal}; monitoring 8222 on {@code 0.0.0.0}, where Fly's health checks connect. No
 * {@code [[services]]}: nothing is public.</li>
 * <li>{@code <prefix>-hub-bootstrap}: its own app, not the hub's release command. A release command runs before the
 * app's new machines start, so on the hub's first deploy there would be no server to apply to; here the hub is
 * already up, and hub-bootstrap's own release command ({@code release-only}) applies the org's JetStream assets and
 * stops the deploy when the org is invalid, then the directory service runs.</li>
 * <li>{@code <prefix>-heartbeat}, {@code <prefix>-vault-bridge}: hub services, credentials from fly secrets.</li>
 * <li>{@code <prefix>-<agent>}: the runtime and its local leaf ({@code 127.0.0.1:4222}) in one machine; the leaf
 * dials {@code <prefix>-nats-hub.internal:7422}.</li>
 * </ul>
 */
public final class FlyPlan {
    /** Where the hub machine mounts its volume. */
    public static final String DATA_DIR = "/data";
    /** The hub's JetStream store, on the volume. */
    public static final String STORE_DIR = DATA_DIR + "/jetstream";
    /** Name of the hub's volume (volumes are per app). */
    public static final String HUB_VOLUME = "jetstream";
    /** Where the hub machine finds its config ({@code [[files]]}). */
    public static final String HUB_CONF_GUEST = "/etc/orgmesh/hub/hub.conf";
    /** Where every machine finds the org file and the files it names. */
    public static final String ORG_DIR_GUEST = "/etc/orgmesh/org";
    /** Where vault-bridge finds the agents' public {@code agents/<id>/agent.json}. */
    public static final String KEYS_DIR_GUEST = "/etc/orgmesh/keys";
    /** Where vault-bridge's encrypted store arrives, read-only; its entrypoint copies it to {@link #RUN_DIR}. */
    public static final String VAULT_STORE_GUEST = "/etc/orgmesh/vault/vault.store";
    /** The private (0700) directory the image entrypoint writes credentials into, from fly secrets. */
    public static final String RUN_DIR = "/work/run";
    /** The port every Quarkus service listens on inside its machine. */
    public static final int HTTP_PORT = 8080;
    /** nats-server monitoring port on the hub; Fly checks {@code /healthz} there. */
    public static final int HUB_MONITOR_PORT = 8222;
    /** The local client port of an agent machine's leaf. */
    public static final int LEAF_LOCAL_PORT = 4222;
    /** Fly secret: an NKey seed file, base64 (hub services). */
    public static final String SECRET_NATS_SEED = "ORGMESH_NATS_SEED_B64";
    /** Fly secret: the agent's NKey seed file, base64. */
    public static final String SECRET_AGENT_SEED = "ORGMESH_AGENT_SEED_B64";
    /** Fly secret: the agent's {@code leaf.conf} (embeds its leaf password), base64. */
    public static final String SECRET_LEAF_CONF = "ORGMESH_LEAF_CONF_B64";

    /** What an app runs; {@link #target()} is its Dockerfile target and image name part. */
    public enum Role {
        NATS_HUB("nats-hub"), HUB_BOOTSTRAP("hub-bootstrap"), HEARTBEAT("heartbeat"), VAULT_BRIDGE(
                "vault-bridge"), AGENT("agent");

        private final String target;

        Role(String target) {
            this.target = target;
        }

        /** The Dockerfile target building this role's image ({@code deploy/docker/Dockerfile.native}). */
        public String target() {
            return target;
        }
    }

    /**
     * A file Fly writes into the machine at boot ({@code [[files]]} with {@code local_path}).
     *
     * @param guestPath path inside the machine
     * @param localPath the file on this machine that {@code fly deploy} uploads
     */
    public record FileMount(String guestPath, Path localPath) {
    }

    /**
     * One Fly app.
     *
     * @param name app name, also its private DNS name {@code <name>.internal}
     * @param role what it runs
     * @param agentId the agent, for {@link Role#AGENT}; otherwise {@code null}
     * @param image the image {@code fly deploy} runs
     * @param flyToml the {@code fly.toml} text (no secrets)
     * @param tomlFile where the {@code fly.toml} goes
     * @param secretsFile the 0600 env file of its fly secrets, or {@code null}
     */
    public record App(String name, Role role, String agentId, String image, String flyToml, Path tomlFile,
            Path secretsFile) {
    }

    /**
     * One step of the deployment: a comment and the commands, in order.
     *
     * @param comment what the step does
     * @param commands shell commands; none of them holds a secret value
     */
    public record Step(String comment, List<String> commands) {
    }

    private final Org org;
    private final Path orgFile;
    private final FlyOptions options;
    private final Path out;
    private final String hubApp;
    private final String hubLeafUrl;
    private final RenderOptions renderOptions;
    private final Map<Path, String> orgFiles;
    private final List<App> apps;
    private final List<Step> steps;
    private final List<String> notes;

    private FlyPlan(Org org, Path orgFile, FlyOptions options, Path out, String prefix, Map<Path, String> orgFiles,
            List<String> notes) {
        this.org = org;
        this.orgFile = orgFile;
        this.options = options;
        this.out = out;
        this.orgFiles = orgFiles;
        this.notes = notes;
        this.hubApp = prefix + "-" + Role.NATS_HUB.target();
        this.hubLeafUrl = "nats-leaf://" + hubApp + ".internal:" + HubUrl.LEAFNODE_PORT;
        this.renderOptions = RenderOptions.defaults()
                .withServerName(hubApp)
                .withClient("::", HubUrl.CLIENT_PORT)
                .withLeafnode("::", HubUrl.LEAFNODE_PORT)
                .withMonitor("0.0.0.0", HUB_MONITOR_PORT)
                .withStoreDir(Path.of(STORE_DIR))
                .withLeafPort(LEAF_LOCAL_PORT)
                .withEnv(Map.of(HubRenderer.HUB_URL_ENV, hubLeafUrl));
        this.apps = new ArrayList<>();
        apps.add(hub());
        apps.add(service(Role.HUB_BOOTSTRAP, prefix, HubService.HUB_BOOTSTRAP));
        apps.add(service(Role.HEARTBEAT, prefix, HubService.HEARTBEAT));
        apps.add(service(Role.VAULT_BRIDGE, prefix, HubService.VAULT_BRIDGE));
        for (Agent a : org.agents()) {
            apps.add(agent(prefix, a));
        }
        this.steps = planSteps();
    }

    /**
     * Plans the deployment of an org file. Throws {@link dev.orgmesh.protocol.org.OrgInvalidException} for an
     * invalid org and {@link OrgmeshException} for anything else that cannot be deployed; writes nothing.
     */
    public static FlyPlan of(Path orgFile, FlyOptions options) {
        Org org = OrgLoader.load(orgFile);
        String prefix = options.appPrefix() != null ? options.appPrefix() : org.company();
        Path out = (options.out() != null
                ? options.out()
                : options.home().resolve("deploy").resolve("fly").resolve("out").resolve(org.company()))
                .toAbsolutePath().normalize();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();

        Map<String, String> owners = new LinkedHashMap<>();
        for (Role r : List.of(Role.NATS_HUB, Role.HUB_BOOTSTRAP, Role.HEARTBEAT, Role.VAULT_BRIDGE)) {
            owners.put(prefix + "-" + r.target(), "the " + r.target() + " app");
        }
        for (int i = 0; i < org.agents().size(); i++) {
            Agent a = org.agents().get(i);
            String name = prefix + "-" + a.id();
            String other = owners.putIfAbsent(name, "agent " + a.id());
            if (other != null) {
                problems.add("agents[" + i + "].id: agent '" + a.id() + "' would be Fly app '" + name
                        + "', which is " + other + "; rename the agent");
            }
        }
        for (String name : owners.keySet()) {
            if (!FlyOptions.APP_NAME.matcher(name).matches()) {
                problems.add("Fly app name '" + name + "' is longer than 63 characters or not a DNS label;"
                        + " choose a shorter --app-prefix");
            }
        }

        Path orgDir = orgFile.toAbsolutePath().normalize().getParent();
        Map<Path, String> orgFiles = new LinkedHashMap<>();
        orgFiles.put(orgFile.toAbsolutePath().normalize(), orgFile.getFileName().toString());
        for (int i = 0; i < org.agents().size(); i++) {
            Agent a = org.agents().get(i);
            Object rules = a.brain() == null ? null : a.brain().settings().get("rules");
            if (rules instanceof String s && !s.isBlank()) {
                Path file = orgDir.resolve(s).normalize();
                if (!file.startsWith(orgDir)) {
                    problems.add("agents[" + i + "].brain.rules: '" + s + "' is outside the org file's directory;"
                            + " only files next to the org file are shipped to the machines");
                } else if (!Files.isRegularFile(file)) {
                    notes.add("agent " + a.id() + ": brain rules file " + file + " does not exist; its runtime"
                            + " will not find it either");
                } else {
                    orgFiles.putIfAbsent(file, orgDir.relativize(file).toString());
                }
            }
        }
        Path store = options.vaultStore().toAbsolutePath().normalize();
        if (!Files.isRegularFile(store)) {
            notes.add("vault store " + store + " does not exist yet: store the agents' secrets with"
                    + " 'orgmesh secrets put ... --store " + store + "' before deploying vault-bridge");
        }
        if (!problems.isEmpty()) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED,
                    "cannot plan the Fly deployment of " + org.company() + ":\n  - " + String.join("\n  - ", problems)
                            + "\nnothing written");
        }
        FlyPlan plan = new FlyPlan(org, orgFile.toAbsolutePath().normalize(), options, out, prefix,
                orgFiles, notes);
        // The same check HubRenderer makes, so a bad hub URL is reported before anything is written.
        HubRenderer.hubUrl(org, plan.renderOptions);
        if (org.hub() != null && org.hub().url() != null && !org.hub().url().equals(plan.hubLeafUrl)) {
            notes.add("the org's hub.url " + org.hub().url() + " is replaced on Fly by " + plan.hubLeafUrl + " ("
                    + HubRenderer.HUB_URL_ENV + ")");
        }
        return plan;
    }

    public Org org() {
        return org;
    }

    public Path orgFile() {
        return orgFile;
    }

    /** The output directory. */
    public Path out() {
        return out;
    }

    /** Where {@code HubRenderer} renders the hub and leaf configs and credentials ({@code HubLayout}). */
    public Path renderDir() {
        return out.resolve("render");
    }

    /** Where the org file and the files it names are copied, as the machines receive them. */
    public Path orgCopyDir() {
        return out.resolve("org");
    }

    /** The commands, as {@link #commandsText()} prints them, saved for later. */
    public Path commandsFile() {
        return out.resolve("DEPLOY.txt");
    }

    /** The hub's app name. */
    public String hubApp() {
        return hubApp;
    }

    /** The URL every agent's leaf dials: the hub's leafnode port on the private network. */
    public String hubLeafUrl() {
        return hubLeafUrl;
    }

    /** The URL hub services connect to: the hub's client port on the private network. */
    public String hubClientUrl() {
        return "nats://" + hubApp + ".internal:" + HubUrl.CLIENT_PORT;
    }

    /** How {@code HubRenderer} renders this hub for Fly. */
    public RenderOptions renderOptions() {
        return renderOptions;
    }

    /** The org file and the files it names (absolute source → path relative to {@link #orgCopyDir()}). */
    public Map<Path, String> orgFiles() {
        return orgFiles;
    }

    public List<App> apps() {
        return List.copyOf(apps);
    }

    public List<Step> steps() {
        return steps;
    }

    /** Things the operator should know that do not stop the plan. */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** The env file holding a service's fly secrets. */
    public Path serviceSecrets(HubService service) {
        return HubLayout.servicesDir(renderDir(), org.company()).resolve(service.id() + ".env");
    }

    /** The env file holding an agent's fly secrets: its leaf config and its NKey seed. */
    public Path agentSecrets(String agentId) {
        return HubLayout.agentDir(renderDir(), agentId).resolve("leaf.env");
    }

    /** Every step as shell commands with comments, ready to read and run one by one. */
    public String commandsText() {
        StringBuilder b = new StringBuilder();
        b.append("# Deploy ").append(org.company()).append(" to Fly.io (region ").append(options.region())
                .append(", ").append(options.jvm() ? "JVM" : "native").append(" images).\n")
                .append("# No command below contains a secret: secrets go from 0600 files or your environment")
                .append(" straight into 'fly secrets import'.\n");
        for (Step s : steps) {
            b.append('\n');
            s.comment().lines().forEach(line -> b.append("# ").append(line).append('\n'));
            s.commands().forEach(c -> b.append(c).append('\n'));
        }
        return b.toString();
    }

    // ---- apps ----

    private App hub() {
        TomlText t = header(hubApp, Role.NATS_HUB);
        t.comment("JetStream lives on this volume; nats-server runs as root in the VM so it can write the mount.");
        t.table("mounts").kv("source", HUB_VOLUME).kv("destination", DATA_DIR).kv("initial_size", "1gb").blank();
        t.comment("The rendered hub config: public NKeys and bcrypt hashes only (no secret), see ADR 0001.");
        t.comment("Listeners: client [::]:" + HubUrl.CLIENT_PORT + " and leafnode [::]:" + HubUrl.LEAFNODE_PORT
                + " on the private network (" + hubApp + ".internal),");
        t.comment("monitoring 0.0.0.0:" + HUB_MONITOR_PORT
                + " for the health check. No [[services]]: nothing is public.");
        files(t, List.of(new FileMount(HUB_CONF_GUEST, HubLayout.hubConf(renderDir()))));
        check(t, "healthz", HUB_MONITOR_PORT, "/healthz", "10s");
        vm(t, "512mb");
        return new App(hubApp, Role.NATS_HUB, null, options.image(Role.NATS_HUB.target()), t.toString(),
                out.resolve(hubApp).resolve("fly.toml"), null);
    }

    private App service(Role role, String prefix, HubService service) {
        String name = prefix + "-" + role.target();
        TomlText t = header(name, role);
        Map<String, String> env = new LinkedHashMap<>(quarkusEnv());
        env.put("ORGMESH_NATS_URL", hubClientUrl());
        env.put("ORGMESH_NATS_CREDS", RUN_DIR + "/nats.nk");
        List<FileMount> files = new ArrayList<>();
        switch (role) {
            case HUB_BOOTSTRAP -> {
                env.put("ORGMESH_BOOTSTRAP_ORG_FILE", ORG_DIR_GUEST + "/" + orgFiles.get(orgFile));
                files.addAll(orgMounts());
                t.comment(
                        "Before the new machines start: apply the org's JetStream assets (idempotent) and store the org;");
                t.comment("an invalid org or an unreachable hub fails the release and stops this deploy.");
                t.table("deploy")
                        .kv("release_command", "/usr/local/bin/orgmesh-app -Dorgmesh.bootstrap.release-only=true")
                        .kv("release_command_timeout", "5m").blank();
            }
            case HEARTBEAT -> env.put("ORGMESH_HEARTBEAT_COMPANY", org.company());
            case VAULT_BRIDGE -> {
                env.put("ORGMESH_VAULT_COMPANY", org.company());
                env.put("ORGMESH_VAULT_KEYS_DIR", KEYS_DIR_GUEST);
                env.put("ORGMESH_VAULT_STORE_SOURCE", VAULT_STORE_GUEST);
                env.put("ORGMESH_VAULT_STORE_PATH", RUN_DIR + "/vault/vault.store");
                files.add(new FileMount(VAULT_STORE_GUEST, options.vaultStore().toAbsolutePath().normalize()));
                for (Agent a : org.agents()) {
                    files.add(new FileMount(KEYS_DIR_GUEST + "/agents/" + a.id() + "/agent.json",
                            HubLayout.agentIdentity(renderDir(), a.id())));
                }
            }
            default -> throw new IllegalArgumentException(role.name());
        }
        env(t, env, role == Role.VAULT_BRIDGE
                ? "Secrets (fly secrets, never here): " + SECRET_NATS_SEED + ", ORGMESH_VAULT_MASTER_KEY."
                : "Secret (fly secrets, never here): " + SECRET_NATS_SEED + ", written to ORGMESH_NATS_CREDS at boot.");
        files(t, files);
        check(t, "ready", HTTP_PORT, "/q/health/ready", options.jvm() ? "40s" : "20s");
        vm(t, options.jvm() ? "512mb" : "256mb");
        return new App(name, role, null, options.image(role.target()), t.toString(),
                out.resolve(name).resolve("fly.toml"), serviceSecrets(service));
    }

    private App agent(String prefix, Agent a) {
        String name = prefix + "-" + a.id();
        TomlText t = header(name, Role.AGENT);
        Map<String, String> env = new LinkedHashMap<>(quarkusEnv());
        env.put(HubRenderer.HUB_URL_ENV, hubLeafUrl);
        env.put("ORGMESH_AGENT_ID", a.id());
        env.put("ORGMESH_AGENT_ORG_FILE", ORG_DIR_GUEST + "/" + orgFiles.get(orgFile));
        env.put("ORGMESH_AGENT_HUB_URL", hubLeafUrl);
        env.put("ORGMESH_AGENT_WORKSPACE", "/work/workspace");
        env.put("ORGMESH_NATS_URL", "nats://127.0.0.1:" + LEAF_LOCAL_PORT);
        env.put("ORGMESH_NATS_DOMAIN", Permissions.JS_DOMAIN);
        env.put("ORGMESH_NATS_INBOX_PREFIX", Permissions.inboxPrefix(a.id()));
        env.put("ORGMESH_LEAF_CONF", RUN_DIR + "/leaf.conf");
        env.put("ORGMESH_AGENT_SEED", RUN_DIR + "/user.nk");
        // the runtime signs its vault requests with this seed and gets its secrets from vault-bridge at boot
        env.put("ORGMESH_AGENT_NKEY_FILE", RUN_DIR + "/user.nk");
        t.comment("The machine runs the agent's leaf (nats-server on 127.0.0.1:" + LEAF_LOCAL_PORT
                + ", dialing " + hubApp + ".internal:" + HubUrl.LEAFNODE_PORT + ") and the runtime.");
        env(t, env,
                "Secrets (fly secrets, never here): " + SECRET_LEAF_CONF + " (its leaf.conf with the leaf password), "
                        + SECRET_AGENT_SEED + ".");
        files(t, orgMounts());
        check(t, "ready", HTTP_PORT, "/q/health/ready", options.jvm() ? "40s" : "20s");
        vm(t, options.jvm() ? "1gb" : "512mb");
        return new App(name, Role.AGENT, a.id(), options.image(Role.AGENT.target()), t.toString(),
                out.resolve(name).resolve("fly.toml"), agentSecrets(a.id()));
    }

    private TomlText header(String name, Role role) {
        TomlText t = new TomlText();
        t.comment("Fly app " + name + ": " + role.target() + " of " + org.company() + ".");
        t.comment("Generated by 'orgmesh deploy fly " + orgFile.getFileName() + "'; render again instead of editing.");
        t.comment("Deploy with: fly deploy --config <this file> (see DEPLOY.txt for the order).");
        t.kv("app", name).kv("primary_region", options.region()).kv("kill_signal", "SIGTERM").kv("kill_timeout", 30)
                .blank();
        t.comment("Dockerfile target '" + role.target() + "' of deploy/docker/Dockerfile."
                + (options.jvm() && role != Role.NATS_HUB ? "jvm" : "native")
                + ", pushed by .github/workflows/native.yml.");
        t.table("build").kv("image", options.image(role.target())).blank();
        return t;
    }

    private static Map<String, String> quarkusEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        // Fly's health checks connect from the host over IPv4 and need the port on 0.0.0.0; an IPv4 wildcard is not
        // reachable over the IPv6 private network, so other apps cannot read /q/health or /q/metrics.
        env.put("QUARKUS_HTTP_HOST", "0.0.0.0");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(HTTP_PORT));
        return env;
    }

    private static void env(TomlText t, Map<String, String> env, String secretsComment) {
        t.comment(secretsComment);
        t.table("env");
        env.forEach(t::kv);
        t.blank();
    }

    private static void files(TomlText t, List<FileMount> files) {
        for (FileMount f : files) {
            t.arrayTable("files").kv("guest_path", f.guestPath()).kv("local_path", f.localPath().toString()).blank();
        }
    }

    private static void check(TomlText t, String name, int port, String path, String grace) {
        t.table("checks." + name).kv("type", "http").kv("port", port).kv("method", "get").kv("path", path)
                .kv("interval", "15s").kv("timeout", "5s").kv("grace_period", grace).blank();
    }

    private static void vm(TomlText t, String memory) {
        t.arrayTable("vm").kv("size", "shared-cpu-1x").kv("memory", memory).blank();
        t.arrayTable("restart").kv("policy", "always");
    }

    private List<FileMount> orgMounts() {
        List<FileMount> m = new ArrayList<>();
        orgFiles.forEach((src, rel) -> m.add(new FileMount(ORG_DIR_GUEST + "/" + rel, orgCopyDir().resolve(rel))));
        return m;
    }

    // ---- commands ----

    private List<Step> planSteps() {
        List<Step> s = new ArrayList<>();
        List<String> create = new ArrayList<>();
        for (App a : apps) {
            create.add("fly apps create " + a.name() + " --org \"$FLY_ORG\"");
        }
        s.add(new Step("1. Create the apps, once (FLY_ORG is your Fly organization).", create));

        App hub = apps.getFirst();
        s.add(new Step("2. The hub first: a volume for JetStream, then nats-server with the rendered hub.conf.",
                List.of("fly volumes create " + HUB_VOLUME + " --app " + hub.name() + " --region " + options.region()
                        + " --size 1 --yes",
                        "fly deploy --config " + sh(hub.tomlFile()) + " --ha=false")));

        App bootstrap = app(Role.HUB_BOOTSTRAP);
        s.add(new Step("3. hub-bootstrap: its NATS credential, then deploy. Its release command applies the org's"
                + " JetStream assets\n   before the directory service starts; an invalid org stops here.",
                List.of(importFile(bootstrap), deploy(bootstrap, false))));

        App heartbeat = app(Role.HEARTBEAT);
        App vault = app(Role.VAULT_BRIDGE);
        s.add(new Step("4. heartbeat and vault-bridge (the master key comes from your environment, never a file).",
                List.of(importFile(heartbeat), deploy(heartbeat, true), importFile(vault),
                        "printf 'ORGMESH_VAULT_MASTER_KEY=%s\\n' \"$ORGMESH_VAULT_MASTER_KEY\" | fly secrets import"
                                + " --stage --app " + vault.name(),
                        deploy(vault, true))));

        List<String> agents = new ArrayList<>();
        for (App a : apps) {
            if (a.role() != Role.AGENT) {
                continue;
            }
            agents.add(importFile(a));
            agents.add(deploy(a, false));
        }
        s.add(new Step("5. The agents: each one's leaf credential and NKey seed, then its machine (leaf + runtime).\n"
                + "   An agent's own secrets are not set here: its runtime fetches them from vault-bridge at boot,"
                + " sealed to it\n   (vault-bridge/README.md), so their values never pass through fly secrets.",
                agents));
        return List.copyOf(s);
    }

    private App app(Role role) {
        return apps.stream().filter(a -> a.role() == role).findFirst().orElseThrow();
    }

    private static String importFile(App a) {
        return "fly secrets import --stage --app " + a.name() + " < " + sh(a.secretsFile());
    }

    private static String deploy(App a, boolean ha) {
        return "fly deploy --config " + sh(a.tomlFile()) + (ha ? "" : " --ha=false");
    }

    /** A path as one shell word. */
    static String sh(Path p) {
        String s = p.toString();
        return s.matches("[A-Za-z0-9_./@%+=:,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** The distinct Dockerfile targets the apps use. */
    public Set<String> targets() {
        Set<String> t = new LinkedHashSet<>();
        apps.forEach(a -> t.add(a.role().target()));
        return t;
    }
}
