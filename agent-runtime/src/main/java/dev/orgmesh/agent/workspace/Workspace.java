package dev.orgmesh.agent.workspace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;

import dev.orgmesh.agent.artifact.ArtifactRef;
import dev.orgmesh.agent.boot.AgentSoul;

/**
 * The directory an agent's brain works in (agent-runtime/README.md, "Workspace"): {@code SOUL.md}, {@code IDENTITY.md},
 * {@code COMPANY.md}, {@code ORG.md}, {@code HEARTBEAT.md}, {@code AGENTS.md} — the file names agent harnesses read —
 * plus {@code artifacts/}, where referenced artifacts are fetched. A {@code command} brain runs with this directory as
 * its working directory.
 */
public final class Workspace {
    private static final Logger LOG = Logger.getLogger(Workspace.class);
    /** The directory artifacts are fetched into and published from. */
    public static final String ARTIFACTS = "artifacts";

    private final Path dir;

    private Workspace(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The workspace rooted at {@code dir} (created by {@link #materialize}). */
    public static Workspace at(Path dir) {
        return new Workspace(dir);
    }

    /** The workspace directory. */
    public Path dir() {
        return dir;
    }

    /** Where fetched artifacts go. */
    public Path artifactsDir() {
        return dir.resolve(ARTIFACTS);
    }

    /** The local file of an artifact reference: {@code artifacts/{scheme}/{bucket}/{name}}. */
    public Path fileFor(ArtifactRef ref) {
        return inside(ARTIFACTS + "/" + ref.localPath());
    }

    /**
     * {@code relative} resolved in the workspace; throws {@link IllegalArgumentException} when it is absolute or
     * leaves the workspace ({@code ..}).
     */
    public Path inside(String relative) {
        Path p = dir.resolve(relative).normalize();
        if (Path.of(relative).isAbsolute() || !p.startsWith(dir) || p.equals(dir)) {
            throw new IllegalArgumentException("'" + relative + "' is not a path inside the workspace");
        }
        return p;
    }

    /**
     * Writes every workspace file for {@code soul}; a file whose content is already right is not touched, so this is
     * idempotent and safe to run at every boot. Returns the names of the files written.
     */
    public List<String> materialize(AgentSoul soul, LoopLimits limits) {
        Map<String, String> files = WorkspaceFiles.render(soul.org(), soul.agent(), limits);
        List<String> written = new ArrayList<>();
        try {
            Files.createDirectories(artifactsDir());
            for (Map.Entry<String, String> f : files.entrySet()) {
                String content = f.getKey().equals("HEARTBEAT.md") ? keepChecklist(f.getValue()) : f.getValue();
                if (writeIfChanged(dir.resolve(f.getKey()), content.getBytes(StandardCharsets.UTF_8))) {
                    written.add(f.getKey());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot materialize the workspace in " + dir + ": " + e.getMessage(), e);
        }
        LOG.infof("workspace of %s in %s: %s", soul.agent().id(), dir,
                written.isEmpty() ? "up to date" : "wrote " + String.join(", ", written));
        return written;
    }

    /** {@code rendered} HEARTBEAT.md with the checklist the existing file holds (items people or brains added). */
    private String keepChecklist(String rendered) throws IOException {
        Path existing = dir.resolve("HEARTBEAT.md");
        if (!Files.exists(existing)) {
            return rendered;
        }
        String old = Files.readString(existing, StandardCharsets.UTF_8);
        int o = old.indexOf(WorkspaceFiles.CHECKLIST);
        int r = rendered.indexOf(WorkspaceFiles.CHECKLIST);
        return o < 0 || r < 0 ? rendered : rendered.substring(0, r) + old.substring(o);
    }

    /** The text of a workspace file, or empty when it does not exist. */
    public String read(String name) {
        try {
            Path p = inside(name);
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code content} atomically unless the file already holds exactly that; returns whether it wrote. */
    public static boolean writeIfChanged(Path file, byte[] content) throws IOException {
        if (Files.exists(file) && Arrays.equals(Files.readAllBytes(file), content)) {
            return false;
        }
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return true;
    }
}
