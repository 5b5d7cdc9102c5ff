package dev.orgmesh.agent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.quarkus.runtime.configuration.PathConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import dev.orgmesh.agent.artifact.S3Artifacts;

/** {@code orgmesh.agent.artifacts.*} as an operator writes it, read through the same mapping the service uses. */
class AgentConfigTest {
    static AgentConfig config(Map<String, String> extra) {
        Map<String, String> props = new HashMap<>(Map.of("orgmesh.agent.org-file", "org.yaml", "orgmesh.agent.id",
                "cto"));
        props.putAll(extra);
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(AgentConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withConverter(Path.class, 200, new PathConverter())
                .withSources(new PropertiesConfigSource(props, "test", 100)).build();
        return config.getConfigMapping(AgentConfig.class);
    }

    @Test
    void withoutAnEndpointNoSchemeLeavesTheObjectStore() {
        assertThat(config(Map.of()).s3Stores()).isEmpty();
    }

    @Test
    void eachSchemeGetsItsDefaultsAndTheSharedLimit() {
        AgentConfig c = config(Map.of("orgmesh.agent.artifacts.r2.endpoint", "https://acct.r2.cloudflarestorage.com",
                "orgmesh.agent.artifacts.s3.endpoint", "http://127.0.0.1:9000", "orgmesh.agent.artifacts.s3.region",
                "eu-west-1", "orgmesh.agent.artifacts.s3.path-style", "true",
                "orgmesh.agent.artifacts.s3.access-key-secret", "MINIO_USER", "orgmesh.agent.artifacts.s3.timeout",
                "5s", "orgmesh.agent.artifacts.max-size", "10M"));
        Map<String, S3Artifacts.Settings> stores = c.s3Stores();
        assertThat(stores.get("r2")).isEqualTo(new S3Artifacts.Settings("r2", URI.create(
                "https://acct.r2.cloudflarestorage.com"), "auto", true, "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY",
                Duration.ofSeconds(30), 10L * 1024 * 1024));
        assertThat(stores.get("s3")).isEqualTo(new S3Artifacts.Settings("s3", URI.create("http://127.0.0.1:9000"),
                "eu-west-1", true, "MINIO_USER", "AWS_SECRET_ACCESS_KEY", Duration.ofSeconds(5), 10L * 1024 * 1024));
    }

    @Test
    void aWrongEndpointIsRefusedNamingTheScheme() {
        AgentConfig c = config(Map.of("orgmesh.agent.artifacts.s3.endpoint", "s3.amazonaws.com"));
        assertThatThrownBy(c::s3Stores).hasMessageContaining("the s3 endpoint 's3.amazonaws.com' is not an http(s)"
                + " URL");
        AgentConfig withKey = config(Map.of("orgmesh.agent.artifacts.r2.endpoint", "https://id:key@x.example"));
        assertThatThrownBy(withKey::s3Stores).hasMessageContaining("is not an http(s) URL with a host");
    }
}
