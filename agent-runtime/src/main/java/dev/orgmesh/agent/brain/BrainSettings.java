package dev.orgmesh.agent.brain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Durations;

/**
 * Typed reads of an agent's {@code brain} settings (the free map of {@code BrainSpec}), failing with
 * {@code ORG_BAD_VALUE} and the setting's path ({@code agents[cto-athena].brain.timeout}) so a wrong org file is
 * refused at boot with a message that says where.
 */
public final class BrainSettings {
    private final String agent;
    private final Map<String, Object> map;

    public BrainSettings(String agent, Map<String, Object> map) {
        this.agent = agent;
        this.map = map;
    }

    /** The raw value, if set. */
    public Optional<Object> raw(String key) {
        return Optional.ofNullable(map.get(key));
    }

    /** A text setting. */
    public Optional<String> string(String key) {
        Object v = map.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Map || v instanceof List) {
            throw bad(key, "must be a single value");
        }
        return Optional.of(String.valueOf(v));
    }

    /** A text setting that must be there. */
    public String required(String key, String example) {
        return string(key).filter(s -> !s.isBlank())
                .orElseThrow(() -> bad(key, "is required for this brain (e.g. " + example + ")"));
    }

    /** A duration such as {@code 30s}, {@code 10m}. */
    public Duration duration(String key, Duration otherwise) {
        Optional<String> s = string(key);
        if (s.isEmpty()) {
            return otherwise;
        }
        try {
            return Durations.parse(s.get());
        } catch (RuntimeException e) {
            throw bad(key, "'" + s.get() + "' is not a duration such as 30s, 10m, 1h30m");
        }
    }

    /** A list of texts; a single text counts as a list of one. */
    public List<String> strings(String key) {
        Object v = map.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof List<?> l) {
            List<String> out = new ArrayList<>();
            for (Object o : l) {
                if (o == null || o instanceof Map || o instanceof List) {
                    throw bad(key, "must be a list of texts");
                }
                out.add(String.valueOf(o));
            }
            return out;
        }
        if (v instanceof Map) {
            throw bad(key, "must be a text or a list of texts");
        }
        return List.of(String.valueOf(v));
    }

    /** A map of texts. */
    public Map<String, String> stringMap(String key) {
        Object v = map.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw bad(key, "must be a mapping of names to texts");
        }
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(String.valueOf(k), x == null ? "" : String.valueOf(x)));
        return out;
    }

    /** A number. */
    public Optional<Double> number(String key) {
        Optional<String> s = string(key);
        try {
            return s.map(Double::parseDouble);
        } catch (NumberFormatException e) {
            throw bad(key, "'" + s.get() + "' is not a number");
        }
    }

    /** A yes/no setting. */
    public boolean flag(String key, boolean otherwise) {
        return string(key).map(s -> s.equalsIgnoreCase("true") || s.equalsIgnoreCase("yes")).orElse(otherwise);
    }

    /** The error for a bad value of {@code key}. */
    public OrgmeshException bad(String key, String problem) {
        return new OrgmeshException(ErrorCode.ORG_BAD_VALUE, "agents[" + agent + "].brain." + key + ": " + problem);
    }
}
