package dev.orgmesh.cli.fly;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.orgmesh.hub.render.HubLayout;
import dev.orgmesh.hub.render.HubRenderer;
import dev.orgmesh.hub.render.HubService;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Writes a {@link FlyPlan}: renders the hub and leaf configs and credentials with hub-bootstrap's
 * {@link HubRenderer} (keys are kept across runs, so writing again changes nothing), turns the credentials each app
 * needs into a 0600 env file for {@code fly secrets import}, copies the org file and the files it names, and writes
 * one {@code fly.toml} per app and {@code DEPLOY.txt}. Secret values go only into 0600 files inside 0700 directories,
 * created with that mode before a byte is written; nothing is logged or returned but paths.
 */
public final class FlyWriter {
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private FlyWriter() {
    }

    /** Writes everything the plan describes; returns the files written, secrets files included (paths only). */
    public static List<Path> write(FlyPlan plan) {
        List<Path> written = new ArrayList<>();
        if (!Files.isDirectory(plan.out())) {
            privateDir(plan.out());
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
            write(env, bytes, PRIVATE_FILE);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            text.setLength(0);
        }
    }

    private static void writePublic(Path file, byte[] content) {
        write(file, content, PUBLIC_FILE);
    }

    private static void write(Path file, byte[] content, Set<PosixFilePermission> mode) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            if (!Files.isDirectory(dir)) {
                // Directories made here hold either secrets or files next to them: owner only.
                privateDir(dir);
            }
            if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), content)) {
                Files.setPosixFilePermissions(file, mode);
                return;
            }
            Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
            try {
                Files.write(tmp, content);
                Files.setPosixFilePermissions(tmp, mode);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw failed("cannot write " + file, e);
        }
    }

    private static void privateDir(Path dir) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
        } catch (IOException e) {
            throw failed("cannot create directory " + dir, e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw failed("cannot read " + file, e);
        }
    }

    private static OrgmeshException failed(String what, IOException e) {
        return new OrgmeshException(ErrorCode.RENDER_FAILED, what + ": " + e.getMessage(), new UncheckedIOException(e));
    }
}
