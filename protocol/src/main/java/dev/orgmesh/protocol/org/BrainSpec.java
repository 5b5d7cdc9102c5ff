package dev.orgmesh.protocol.org;

import java.util.Map;
import java.util.Set;

/**
 * Which brain drives an agent and its settings.
 *
 * @param kind {@code scripted}, {@code command} or {@code openai}
 * @param settings kind-specific settings (rules file, command line, endpoint and models, …), as written
 */
public record BrainSpec(String kind, Map<String, Object> settings) {
    /** The brain kinds orgmesh ships. */
    public static final Set<String> KINDS = Set.of("scripted", "command", "openai");

    public BrainSpec {
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }
}
