package dev.orgmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Kills every server process and deletes every temp dir the testkit still owns when the JVM exits, so an aborted
 * test run leaves no nats-server behind.
 */
final class ProcessReaper {

    private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();
    private static final Set<Path> DIRECTORIES = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(Thread.ofPlatform().name("orgmesh-testkit-reaper").unstarted(ProcessReaper::reap));
    }

    private ProcessReaper() {
    }

    static void track(Process process) {
        PROCESSES.add(process);
    }

    static void untrack(Process process) {
        PROCESSES.remove(process);
    }

    static void track(Path directory) {
        DIRECTORIES.add(directory);
    }

    /** Deletes the directory tree now and stops tracking it. */
    static void delete(Path directory) {
        deleteTree(directory);
        DIRECTORIES.remove(directory);
    }

    private static void reap() {
        for (Process process : PROCESSES) {
            process.destroyForcibly();
        }
        for (Process process : PROCESSES) {
            try {
                process.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort at JVM exit
            }
        }
        for (Path directory : DIRECTORIES) {
            try {
                deleteTree(directory);
            } catch (RuntimeException e) {
                // best effort at JVM exit
            }
        }
    }

    private static void deleteTree(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + directory, e);
        }
    }
}
