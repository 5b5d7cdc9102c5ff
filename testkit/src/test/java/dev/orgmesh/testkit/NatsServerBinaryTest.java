package dev.orgmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NatsServerBinaryTest {

    @Test
    void explicitPathToMissingFileNamesTheInstallCommand(@TempDir Path dir) {
        String missing = dir.resolve("no-such-nats-server").toString();

        assertThatThrownBy(() -> NatsServerBinary.locate(Map.of(NatsServerBinary.ENV_VAR, missing), "/usr/bin",
                NatsServerBinary.FALLBACKS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(missing).hasMessageContaining("apt-get install -y nats-server")
                .hasMessageContaining("https://github.com/nats-io/nats-server/releases")
                .hasMessageContaining(NatsServerBinary.ENV_VAR);
    }

    @Test
    void nothingOnPathAndNoFallbackNamesTheInstallCommand(@TempDir Path dir) {
        assertThatThrownBy(() -> NatsServerBinary.locate(Map.of(), dir.toString(), List.of(dir.resolve("nope"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("apt-get install -y nats-server");
    }

    @Test
    void findsTheInstalledBinary() {
        assertThat(NatsServerBinary.path()).isExecutable();
    }
}
