package dev.orgmesh.cli.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import dev.orgmesh.protocol.Json;

/**
 * How to reach an org started by {@code orgmesh up}: written to {@code <state>/local.json} so {@code status},
 * {@code send}, {@code tail} and {@code demo} connect as its operator without flags.
 *
 * @param url the hub's client URL
 * @param creds the operator's credentials file
 */
public record LocalState(String url, Path creds) {
    /** Where state directories live: {@code $ORGMESH_STATE}, else {@code <orgmesh home>/.orgmesh}. */
    public static Path root() {
        String env = System.getenv("ORGMESH_STATE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("orgmesh.home", ".")).resolve(".orgmesh");
    }

    public static Optional<LocalState> read(Path root, String company) {
        Path f = root.resolve(company).resolve("local.json");
        if (!Files.exists(f) || new LocalProcesses(root.resolve(company)).running().isEmpty()) {
            return Optional.empty();
        }
        try {
            var n = Json.mapper().readTree(f.toFile());
            return Optional.of(new LocalState(n.get("url").textValue(), Path.of(n.get("creds").textValue())));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public void write(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Files.write(stateDir.resolve("local.json"), Json.mapper().writeValueAsBytes(
                Map.of("url", url, "creds", creds.toAbsolutePath().toString())));
    }
}
