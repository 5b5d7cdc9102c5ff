package dev.orgmesh.protocol.nats;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Gets a suitable nats-server for {@code orgmesh up} and the tests: the one {@link NatsServerLocator} finds, or else
 * the pinned release put into orgmesh's cache by {@code deploy/nats/install} (the script {@code .ci/run} uses too:
 * {@code go install} where Go exists, the official release archive checked against its SHA-256 elsewhere). What the
 * script says goes to {@code progress}, line by line. When {@value NatsServerLocator#SERVER_ENV} is set, nothing is
 * installed: that server is used or refused.
 */
public final class NatsServerInstall {
    private NatsServerInstall() {
    }

    /**
     * A suitable server, installed first when none is found.
     *
     * @param home the orgmesh checkout ({@code deploy/nats/install} is under it)
     * @throws OrgmeshException {@code OM-2006}/{@code OM-2007} when none is found and installing fails too; the
     *         message ends with "nothing was started"
     */
    public static Path find(Path home, Map<String, String> env, Consumer<String> progress) {
        try {
            NatsServerLocator.Found found = NatsServerLocator.locate(env);
            progress.accept("using " + found);
            return found.path();
        } catch (OrgmeshException notFound) {
            String explicit = env.get(NatsServerLocator.SERVER_ENV);
            if (explicit != null && !explicit.isBlank()) {
                throw new OrgmeshException(notFound.code(), notFound.getMessage() + "; nothing was started");
            }
            progress.accept(notFound.code().label() + " " + notFound.getMessage());
            progress.accept("getting nats-server " + NatsRelease.PINNED + " into " + NatsServerLocator.cachedServer(env)
                    + " (deploy/nats/install)");
            Path installed;
            try {
                installed = runScript(home, "server", env, progress);
            } catch (OrgmeshException failed) {
                throw new OrgmeshException(notFound.code(), notFound.getMessage() + "; installing nats-server "
                        + NatsRelease.PINNED + " failed too (" + failed.getMessage() + "); nothing was started",
                        failed);
            }
            NatsServerLocator.Found found = NatsServerLocator.check(installed, env);
            progress.accept("using " + found);
            return found.path();
        }
    }

    /**
     * Runs {@code deploy/nats/install WHAT} ({@code server} or {@code cli}) of the checkout {@code home} with
     * {@code env}, relays what it says to {@code progress}, and returns the binary it names.
     *
     * @throws OrgmeshException {@code OM-2006} saying why, when the script is missing or fails
     */
    public static Path runScript(Path home, String what, Map<String, String> env, Consumer<String> progress) {
        Path script = home.resolve("deploy").resolve("nats").resolve("install");
        if (!Files.isRegularFile(script)) {
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, script + " is missing");
        }
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", script.toString(), what);
        pb.environment().clear();
        pb.environment().putAll(env);
        List<String> said = new ArrayList<>();
        String out;
        int exit;
        Process started = null;
        try {
            Process p = pb.start();
            started = p;
            Thread relay = Thread.ofVirtual().start(() -> {
                try (BufferedReader err = new BufferedReader(
                        new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line = err.readLine(); line != null; line = err.readLine()) {
                        said.add(line);
                        progress.accept(line);
                    }
                } catch (IOException ignored) {
                    // the process ended; what it said so far is in `said`
                }
            });
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            exit = p.waitFor();
            relay.join();
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, "cannot run " + script + ": " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (started != null) {
                started.descendants().forEach(ProcessHandle::destroyForcibly);
                started.destroyForcibly();
            }
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, "interrupted while running " + script);
        }
        if (exit != 0 || out.isEmpty()) {
            throw new OrgmeshException(ErrorCode.NATS_SERVER_MISSING, said.isEmpty() ? "exit " + exit : said.getLast());
        }
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }
}
