package dev.orgmesh.cli.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.orgmesh.protocol.Json;

/**
 * How to reach an org started by {@code orgmesh up}: written to {@code <state>/local.json} so {@code status},
 * {@code send}, {@code tail} and {@code demo} connect as its operator without flags.
 *
 * @param url the hub's client URL; for a clustered hub every node's, separated by commas (clients fail over)
 * @param creds the operator's credentials file
 * @param hubNodes each hub node's name and client URL, in order ({@code hub} alone for one server)
 */
public record LocalState(String url, Path creds, Map<String, String> hubNodes) {
    public LocalState {
        hubNodes = Collections.unmodifiableMap(new LinkedHashMap<>(hubNodes));
    }

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
            Map<String, String> nodes = new LinkedHashMap<>();
            if (n.has("hub_nodes")) {
                n.get("hub_nodes").properties().forEach(e -> nodes.put(e.getKey(), e.getValue().textValue()));
            } else {
                nodes.put("hub", n.get("url").textValue());
            }
            return Optional.of(new LocalState(n.get("url").textValue(), Path.of(n.get("creds").textValue()), nodes));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public void write(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", url);
        json.put("creds", creds.toAbsolutePath().toString());
        json.put("hub_nodes", hubNodes);
        Files.write(stateDir.resolve("local.json"), Json.mapper().writeValueAsBytes(json));
    }
}
