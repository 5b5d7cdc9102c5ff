package dev.orgmesh.vault.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;

/**
 * Agents' public keys from hub-bootstrap's render output ({@code orgmesh render --out DIR}): the {@code public_key}
 * field of {@code DIR/agents/<id>/agent.json}. That file holds only public facts. Entries are cached and re-read when
 * the file changes, so rendering again (key rotation) takes effect without a restart.
 */
public final class RenderedAgentKeys implements AgentKeys {
    private static final Logger LOG = Logger.getLogger(RenderedAgentKeys.class);

    private final Path renderDir;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(FileTime modified, String key) {
    }

    /** @param renderDir the render output directory (the one holding {@code hub.conf} and {@code agents/}) */
    public RenderedAgentKeys(Path renderDir) {
        this.renderDir = renderDir;
    }

    @Override
    public Optional<String> publicKey(String agentId) {
        if (agentId == null || !Subjects.SAFE_TOKEN.matcher(agentId).matches()) {
            return Optional.empty();
        }
        Path file = renderDir.resolve("agents").resolve(agentId).resolve("agent.json");
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            Cached c = cache.get(agentId);
            if (c != null && c.modified().equals(modified)) {
                return Optional.of(c.key());
            }
            JsonNode identity = Json.mapper().readTree(Files.readAllBytes(file));
            JsonNode key = identity == null ? null : identity.get("public_key");
            JsonNode agent = identity == null ? null : identity.get("agent");
            if (key == null || !key.isTextual() || !key.textValue().startsWith("U")
                    || (agent != null && !agentId.equals(agent.asText()))) {
                LOG.warnf("OM-6003 %s has no usable public_key for agent %s", file, agentId);
                return Optional.empty();
            }
            cache.put(agentId, new Cached(modified, key.textValue()));
            return Optional.of(key.textValue());
        } catch (NoSuchFileException e) {
            cache.remove(agentId);
            return Optional.empty();
        } catch (IOException e) {
            LOG.warnf("OM-6003 cannot read %s: %s", file, e.getClass().getSimpleName());
            return Optional.empty();
        }
    }
}
