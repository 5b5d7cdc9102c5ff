package dev.orgmesh.protocol.org;

import java.util.Map;

/**
 * Which brain drives an agent and its settings.
 *
 * @param kind {@code scripted}, {@code command} or {@code openai}
 * @param settings kind-specific settings (rules file, command line, endpoint and models, …), as written
 */
public record BrainSpec(String kind, Map<String, Object> settings) {
    /** The brain kinds orgmesh ships. */
    public static final java.util.Set<String> KINDS = java.util.Set.of("scripted", "command", "openai");

    public BrainSpec {
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }
}
