package dev.orgmesh.protocol.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/nats/install}'s release-archive path, without the network: a stand-in {@code curl} serves a release
 * made here (an archive and its {@code SHA256SUMS}). The archive is installed when its SHA-256 matches and refused,
 * with nothing installed, when it does not. (The real download cannot be made on the project's machines.)
 */
class InstallScriptTest {
    static final Path SCRIPT = Path.of("..", "deploy", "nats", "install").toAbsolutePath();
    final String name = "nats-server-v" + NatsRelease.PINNED + "-linux-"
            + ("aarch64".equals(System.getProperty("os.arch")) ? "arm64" : "amd64");

    @TempDir
    Path tmp;

    record Run(int exit, String err, String out) {
    }

    @Test
    void anArchiveThatMatchesItsChecksumIsInstalledATamperedOneIsNot() throws Exception {
        Path release = release();
        Run good = install();
        assertThat(good.exit()).as(good.err()).isZero();
        Path installed = tmp.resolve("cache/nats-server/v" + NatsRelease.PINNED + "/nats-server");
        assertThat(good.out().strip()).isEqualTo(installed.toString());
        assertThat(installed).isExecutable();

        Files.delete(installed);
        Files.writeString(release.resolve(name + ".tar.gz"), "tampered", StandardOpenOption.APPEND);
        Run bad = install();
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("does not match the SHA-256 published in SHA256SUMS");
        assertThat(installed).doesNotExist();
    }

    /** A release directory with the archive, its checksum list, and a curl that copies from it. */
    Path release() throws Exception {
        Path rel = Files.createDirectories(tmp.resolve("rel"));
        Path server = Files.createDirectories(rel.resolve(name)).resolve("nats-server");
        executable(server, "#!/bin/sh\necho 'nats-server: v" + NatsRelease.PINNED + "'\n");
        run(rel, "tar", "-czf", name + ".tar.gz", name);
        Process sum = new ProcessBuilder("sha256sum", name + ".tar.gz").directory(rel.toFile()).start();
        String line = new String(sum.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(sum.waitFor()).isZero();
        Files.writeString(rel.resolve("SHA256SUMS"), line + "0000  some-other-file.zip\n");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        executable(bin.resolve("curl"), "#!/bin/sh\nfor a in \"$@\"; do u=\"$a\"; done\ncp \"" + rel
                + "/$(basename \"$u\")\" .\n");
        return rel;
    }

    Run install() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", SCRIPT.toString(), "server", "--release-archive");
        pb.environment().put("PATH", tmp.resolve("bin") + ":/usr/bin:/bin");
        pb.environment().put("ORGMESH_CACHE", tmp.resolve("cache").toString());
        pb.redirectError(tmp.resolve("err.txt").toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(tmp.resolve("err.txt")), out);
    }

    static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }

    static void executable(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
