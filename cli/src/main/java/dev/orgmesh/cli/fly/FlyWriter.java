package dev.orgmesh.cli.fly;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.orgmesh.render.HubLayout;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.SecureFiles;

/**
 * Writes a {@link FlyPlan}: renders the hub and leaf configs and credentials with hub-bootstrap's
 * {@link HubRenderer} (keys are kept across runs, so writing again changes nothing), turns the credentials each app
 * needs into a 0600 env file for {@code fly secrets import}, copies the org file and the files it names, and writes
 * one {@code fly.toml} per app and {@code DEPLOY.txt}. Secret values go only into 0600 files inside 0700 directories,
 * created with that mode before a byte is written; nothing is logged or returned but paths.
 */
public final class FlyWriter {

    private FlyWriter() {
    }

    /** Writes everything the plan describes; returns the files written, secrets files included (paths only). */
    public static List<Path> write(FlyPlan plan) {
        List<Path> written = new ArrayList<>();
        if (!Files.isDirectory(plan.out())) {
            SecureFiles.privateDir(plan.out());
        }
        new HubRenderer().render(plan.org(), plan.renderOptions(), plan.renderDir());
        written.add(HubLayout.hubConf(plan.renderDir()));

        String company = plan.org().company();
        for (HubService s : List.of(HubService.HUB_BOOTSTRAP, HubService.HEARTBEAT, HubService.VAULT_BRIDGE)) {
            Path env = plan.serviceSecrets(s);
            writeEnv(env, Map.of(FlyPlan.SECRET_NATS_SEED, HubLayout.serviceSeed(plan.renderDir(), company, s)));
            written.add(env);
        }
        for (var agent : plan.org().agents()) {
            Path env = plan.agentSecrets(agent.id());
            Map<String, Path> secrets = new LinkedHashMap<>();
            secrets.put(FlyPlan.SECRET_LEAF_CONF, HubLayout.leafConf(plan.renderDir(), agent.id()));
            secrets.put(FlyPlan.SECRET_AGENT_SEED, HubLayout.agentSeed(plan.renderDir(), agent.id()));
            writeEnv(env, secrets);
            written.add(env);
        }

        for (Map.Entry<Path, String> f : plan.orgFiles().entrySet()) {
            Path target = plan.orgCopyDir().resolve(f.getValue());
            writePublic(target, read(f.getKey()));
            written.add(target);
        }
        for (FlyPlan.App app : plan.apps()) {
            writePublic(app.tomlFile(), app.flyToml().getBytes(StandardCharsets.UTF_8));
            written.add(app.tomlFile());
        }
        writePublic(plan.commandsFile(), plan.commandsText().getBytes(StandardCharsets.UTF_8));
        written.add(plan.commandsFile());
        return written;
    }

    /**
     * An env file for {@code fly secrets import}: one {@code NAME=<base64 of the file>} line per secret. Base64 keeps
     * multi-line files (a leaf config) on one line, which {@code fly secrets import} takes verbatim.
     */
    private static void writeEnv(Path env, Map<String, Path> secrets) {
        StringBuilder text = new StringBuilder();
        secrets.forEach((name, file) -> {
            byte[] raw = read(file);
            try {
                text.append(name).append('=').append(Base64.getEncoder().encodeToString(raw)).append('\n');
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
        });
        byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
        try {
            SecureFiles.ensureDir(env.toAbsolutePath().getParent());
            SecureFiles.writePrivate(env, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            text.setLength(0);
        }
    }

    /** A file without secrets; a missing directory is made owner-only, since secrets files sit beside it. */
    private static void writePublic(Path file, byte[] content) {
        SecureFiles.ensureDir(file.toAbsolutePath().getParent());
        SecureFiles.writePublic(file, content);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw SecureFiles.failed("cannot read " + file, e);
        }
    }

}
