package dev.orgmesh.cli.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.type.TypeReference;

import dev.orgmesh.protocol.Json;

/**
 * The processes a local org started, recorded in {@code processes.json} of its state directory, so {@code down}
 * stops exactly those (a process is only signalled when its pid still runs the command that was recorded) and
 * {@code up} can tell that the org is already running.
 */
public final class LocalProcesses {
    /**
     * One started process.
     *
     * @param name what it is (hub, or hub-1, hub-2, … for a clustered hub's nodes, leaf:cto-athena, heartbeat,
     *        agent:cto-athena, …)
     * @param pid its process id
     * @param command the executable, to recognise the pid later
     * @param started when it was started
     */
    public record Entry(String name, long pid, String command, Instant started) {
    }

    private final Path file;

    public LocalProcesses(Path stateDir) {
        this.file = stateDir.resolve("processes.json");
    }

    public List<Entry> read() {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return Json.mapper().readValue(file.toFile(), new TypeReference<List<Entry>>() {
            });
        } catch (IOException e) {
            return List.of();
        }
    }

    public synchronized void add(Entry e) throws IOException {
        List<Entry> all = new ArrayList<>(read());
        all.add(e);
        write(all);
    }

    private void write(List<Entry> all) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("processes.json.tmp");
        Files.write(tmp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** The live process of an entry, when its pid still runs the recorded command. */
    public static Optional<ProcessHandle> live(Entry e) {
        return ProcessHandle.of(e.pid())
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command()
                        .map(c -> c.equals(e.command()) || c.endsWith("/" + Path.of(e.command()).getFileName()))
                        .orElse(false));
    }

    /** The recorded processes still running. */
    public List<Entry> running() {
        return read().stream().filter(e -> live(e).isPresent()).toList();
    }

    /**
     * Stops every recorded process that is still the one recorded: SIGTERM, then SIGKILL after {@code grace}.
     * Agents and services first, leaves next, the hub (every node of a clustered one) last. Returns the names stopped.
     */
    public List<String> stopAll(Duration grace) throws IOException {
        List<Entry> all = new ArrayList<>(read());
        all.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        List<String> stopped = new ArrayList<>();
        for (int r = 0; r <= 2; r++) {
            int rank = r;
            List<ProcessHandle> group = new ArrayList<>();
            for (Entry e : all) {
                if (rank(e) == rank) {
                    live(e).ifPresent(p -> {
                        p.destroy();
                        group.add(p);
                        stopped.add(e.name());
                    });
                }
            }
            Instant deadline = Instant.now().plus(grace);
            for (ProcessHandle p : group) {
                try {
                    p.onExit().get(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()),
                            TimeUnit.MILLISECONDS);
                } catch (Exception timeout) {
                    p.destroyForcibly();
                }
            }
        }
        Files.deleteIfExists(file);
        return stopped;
    }

    /** Whether the entry is the hub or one node of a clustered hub ({@code hub-1}, {@code hub-2}, …). */
    public static boolean isHub(Entry e) {
        return e.name().matches("hub(-\\d+)?");
    }

    private static int rank(Entry e) {
        if (isHub(e)) {
            return 2;
        }
        return e.name().startsWith("leaf:") ? 1 : 0;
    }
}
