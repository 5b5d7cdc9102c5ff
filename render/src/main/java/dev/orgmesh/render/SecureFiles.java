package dev.orgmesh.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Writes rendered files so that secrets are never readable by anyone but the owner, not even for a moment: private
 * files are created 0600 (inside 0700 directories) before a byte is written, then moved into place atomically.
 * A file whose content is unchanged is not rewritten, so re-rendering leaves timestamps alone.
 */
public final class SecureFiles {
    static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private SecureFiles() {
    }

    /** Fails early on file systems that cannot keep a key private. */
    static void requirePosix() {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED,
                    "rendering credentials needs a POSIX file system to keep keys private (mode 0600)");
        }
    }

    /** Creates {@code dir} (and parents) and makes it 0700. */
    public static Path privateDir(Path dir) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            return dir;
        } catch (IOException e) {
            throw failed("cannot create directory " + dir, e);
        }
    }

    /**
     * Creates {@code dir} (and parents) 0700 when it does not exist; an existing directory keeps its mode, so
     * rendering into a directory the caller chose never changes who can list it.
     */
    public static Path ensureDir(Path dir) {
        if (Files.isDirectory(dir)) {
            return dir;
        }
        return privateDir(dir);
    }

    /** Writes a secret or a file that embeds one: mode 0600. */
    public static void writePrivate(Path file, byte[] content) {
        write(file, content, PRIVATE_FILE);
    }

    /** Writes a file without secrets: mode 0644. */
    public static void writePublic(Path file, byte[] content) {
        write(file, content, PUBLIC_FILE);
    }

    private static void write(Path file, byte[] content, Set<PosixFilePermission> mode) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), content)) {
                Files.setPosixFilePermissions(file, mode);
                return;
            }
            FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(PRIVATE_FILE);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", attr);
            try {
                Files.write(tmp, content);
                Files.setPosixFilePermissions(tmp, mode);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw failed("cannot write " + file, e);
        }
    }

    public static OrgmeshException failed(String what, IOException e) {
        return new OrgmeshException(ErrorCode.RENDER_FAILED, what + ": " + e.getMessage(), new UncheckedIOException(e));
    }
}
