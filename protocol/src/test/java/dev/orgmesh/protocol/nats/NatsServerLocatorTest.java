package dev.orgmesh.protocol.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Where orgmesh looks for nats-server and which releases it refuses. The executables here are two-line scripts that
 * print what a nats-server of that release prints for {@code --version}: the subject is the lookup, not NATS.
 */
class NatsServerLocatorTest {
    @TempDir
    Path tmp;

    @Test
    void thePinnedReleaseComesFromTheOneVersionsFile() throws IOException {
        String file = Files.readString(Path.of("..", "deploy", "nats", "versions.properties"));
        assertThat(file).contains("NATS_SERVER_VERSION=" + NatsRelease.PINNED)
                .contains("NATS_SERVER_MINIMUM=" + NatsRelease.MINIMUM).contains("NATS_CLI_VERSION=" + NatsRelease.CLI);
        assertThat(NatsRelease.PINNED.atLeast(NatsRelease.MINIMUM)).isTrue();
        assertThat(NatsRelease.MINIMUM).isEqualTo(new NatsVersion(2, 12, 0));
    }

    @Test
    void versionsParseAndCompareAsReleases() {
        assertThat(NatsVersion.parse("nats-server: v2.15.3")).isEqualTo(new NatsVersion(2, 15, 3));
        assertThat(NatsVersion.parse("v2.12.0-RC.1")).isEqualTo(new NatsVersion(2, 12, 0));
        assertThat(NatsVersion.parse("2.9.10").atLeast(NatsVersion.parse("2.12.0"))).isFalse();
        assertThat(NatsVersion.parse("2.10.0").atLeast(NatsVersion.parse("2.9.25"))).isTrue();
        assertThat(NatsVersion.parse("3.0.0").atLeast(NatsVersion.parse("2.15.3"))).isTrue();
        assertThatThrownBy(() -> NatsVersion.parse("nats-server: dev")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFirstSuitableServerOnPathWinsAndOlderOnesAreSkipped() throws IOException {
        Path old = fakeServer("old", "nats-server: v2.9.10");
        Path current = fakeServer("current", "nats-server: v2.15.3");
        Map<String, String> env = env(old.getParent() + ":" + current.getParent());

        NatsServerLocator.Found found = NatsServerLocator.locate(env);

        assertThat(found.path()).isEqualTo(current);
        assertThat(found.version()).isEqualTo(new NatsVersion(2, 15, 3));
    }

    @Test
    void onlyAnOldServerIsRefusedNamingItsVersionTheMinimumAndTheWayOut() throws IOException {
        Path old = fakeServer("old", "nats-server: v2.9.10");
        Map<String, String> env = env(old.getParent().toString());

        assertThatThrownBy(() -> NatsServerLocator.locate(env)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_TOO_OLD))
                .hasMessageContaining("2.9.10").hasMessageContaining(old.toString())
                .hasMessageContaining("needs " + NatsRelease.MINIMUM).hasMessageContaining("deploy/nats/install")
                .hasMessageContaining(NatsServerLocator.SERVER_ENV);
    }

    @Test
    void noServerAnywhereSaysWhereItLookedAndHowToGetOne() {
        Map<String, String> env = env(tmp.resolve("empty").toString());

        assertThatThrownBy(() -> NatsServerLocator.locate(env)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_MISSING))
                .hasMessageContaining("PATH").hasMessageContaining(tmp.resolve("cache").toString())
                .hasMessageContaining("go install github.com/nats-io/nats-server/v2@v" + NatsRelease.PINNED);
    }

    @Test
    void theCacheIsLookedAtAfterPath() throws IOException {
        Map<String, String> env = env(tmp.resolve("empty").toString());
        Path cached = NatsServerLocator.cachedServer(env);
        assertThat(cached).isEqualTo(tmp.resolve("cache/nats-server/v" + NatsRelease.PINNED + "/nats-server"));
        write(cached, "nats-server: v" + NatsRelease.PINNED);

        assertThat(NatsServerLocator.locate(env).path()).isEqualTo(cached);
    }

    @Test
    void anExplicitServerMustBeRightThereIsNoFallback() throws IOException {
        Path current = fakeServer("current", "nats-server: v2.15.3");
        Path old = fakeServer("old", "nats-server: v2.11.9");
        Map<String, String> env = env(current.getParent().toString());

        env.put(NatsServerLocator.SERVER_ENV, tmp.resolve("nope").toString());
        assertThatThrownBy(() -> NatsServerLocator.locate(env)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_MISSING))
                .hasMessageContaining(tmp.resolve("nope").toString());

        env.put(NatsServerLocator.SERVER_ENV, old.toString());
        assertThatThrownBy(() -> NatsServerLocator.locate(env)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_TOO_OLD)).hasMessageContaining("2.11.9");

        env.put(NatsServerLocator.SERVER_ENV, current.toString());
        assertThat(NatsServerLocator.locate(env).path()).isEqualTo(current);
    }

    @Test
    void anExecutableThatIsNotANatsServerIsNotTakenForOne() throws IOException {
        Path impostor = fakeServer("impostor", "hello");
        Map<String, String> env = env(impostor.getParent().toString());

        assertThatThrownBy(() -> NatsServerLocator.locate(env)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_MISSING));
        assertThatThrownBy(() -> NatsServerLocator.check(impostor, env)).hasMessageContaining("is not a nats-server");
    }

    @Test
    void aBareNameIsResolvedOnPath() throws IOException {
        Path current = fakeServer("current", "nats-server: v2.15.3");
        Map<String, String> env = env(tmp.resolve("empty") + ":" + current.getParent());

        assertThat(NatsServerLocator.resolve("nats-server", env)).isEqualTo(current);
        assertThat(NatsServerLocator.resolve(current.toString(), env)).isEqualTo(current);
        assertThatThrownBy(() -> NatsServerLocator.resolve("no-such-server", env))
                .isInstanceOfSatisfying(OrgmeshException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_MISSING));
    }

    private Map<String, String> env(String path) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", path);
        env.put(NatsServerLocator.CACHE_ENV, tmp.resolve("cache").toString());
        env.put(NatsServerLocator.NO_DEFAULT_PATHS_ENV, "1");
        return env;
    }

    private Path fakeServer(String dir, String versionLine) throws IOException {
        Path p = tmp.resolve(dir).resolve("nats-server");
        write(p, versionLine);
        return p;
    }

    private static void write(Path p, String versionLine) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\necho '" + versionLine + "'\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
