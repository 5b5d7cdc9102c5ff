package dev.orgmesh.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The one JSON (and YAML) configuration of orgmesh: snake_case names as in the seed, strict parsing (no trailing
 * tokens, no duplicate keys), and bounds on nesting depth and string length so hostile input cannot exhaust memory.
 */
public final class Json {
    /** Deepest nesting accepted in any message or file; real envelopes nest two or three levels. */
    public static final int MAX_DEPTH = 64;

    private static final StreamReadConstraints CONSTRAINTS = StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH)
            .maxStringLength(4 * 1024 * 1024)
            .build();

    private static final ObjectMapper MAPPER = applyTo(JsonMapper.builder().build());

    private static final ObjectMapper YAML = configure(YAMLMapper.builder(YAMLFactory.builder()
            .streamReadConstraints(CONSTRAINTS)
            .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private Json() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        return m.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .findAndRegisterModules();
    }

    /**
     * Gives {@code mapper} orgmesh's JSON settings (snake_case, unknown fields ignored, ISO-8601 instants, no trailing
     * tokens, no duplicate keys, the nesting and string bounds) and returns it. {@link #mapper()} is built with it, and
     * so is the {@code ObjectMapper} Quarkus manages in every service (service-support's {@code WireJsonCustomizer}),
     * so a wire type reads and writes the same through either.
     */
    public static ObjectMapper applyTo(ObjectMapper mapper) {
        configure(mapper).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        mapper.getFactory().setStreamReadConstraints(CONSTRAINTS);
        return mapper;
    }

    /** The shared JSON mapper. Thread-safe; never reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The shared YAML mapper, for org files. */
    public static ObjectMapper yaml() {
        return YAML;
    }

    /** Serializes any value to compact JSON bytes. */
    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot serialize " + value.getClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
