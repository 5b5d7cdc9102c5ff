package dev.orgmesh.vault.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The default backend: one JSON file in which every value is encrypted on its own with AES-256-GCM under the
 * {@link MasterKey} (JDK {@code Cipher}, 96-bit random IV per value, 128-bit tag). The associated data binds each
 * ciphertext to its path and version, so entries cannot be swapped or renamed on disk without failing to open.
 * Names, versions and times are stored in the clear (they are not secret and {@code ls} shows them); values never.
 * A key-check ciphertext makes a wrong master key a clear error instead of a failed read later.
 *
 * <p>Values are versioned: a {@link #put} adds version n+1 and keeps the last {@value #HISTORY} versions. Writes take
 * a lock file and replace the store atomically (write to a temporary 0600 file, fsync, rename), so the bridge, which
 * only reads, always sees a whole file and notices a change by the file's identity, size and time.
 */
public final class EmbeddedStore implements SecretBackend {
    /** The file format marker. */
    public static final String FORMAT = "orgmesh-vault-store/1";
    /** Versions kept per secret. */
    public static final int HISTORY = 10;

    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final MasterKey key;
    private Document doc;
    private Object stamp;

    /** One secret as {@code ls} shows it: no value. */
    public record Listing(SecretPath path, int version, String updated, int versionsKept) {
    }

    /** The file's JSON. {@code entries} maps a path to its versions, oldest first. */
    record Document(String format, String keyCheck, Map<String, List<Version>> entries) {
        Document {
            entries = new TreeMap<>(entries == null ? Map.of() : entries);
        }
    }

    /** One stored version: {@code sealed} is base64(IV ‖ AES-GCM ciphertext ‖ tag). */
    record Version(int version, String created, String sealed) {
    }

    /** Opens (or, on first {@link #put}, creates) the store at {@code file}. */
    public EmbeddedStore(Path file, MasterKey key) {
        this.file = file.toAbsolutePath().normalize();
        this.key = Objects.requireNonNull(key, "key");
    }

    /** The store file. */
    public Path file() {
        return file;
    }

    @Override
    public String describe() {
        return "embedded:" + file;
    }

    @Override
    public synchronized Optional<SecretValue> read(SecretPath path) {
        refresh();
        List<Version> versions = doc.entries().get(path.toString());
        if (versions == null || versions.isEmpty()) {
            return Optional.empty();
        }
        Version latest = versions.getLast();
        return Optional.of(new SecretValue(path, latest.version(), open(path, latest)));
    }

    /** A specific version, if still kept. */
    public synchronized Optional<SecretValue> read(SecretPath path, int version) {
        refresh();
        return doc.entries().getOrDefault(path.toString(), List.of()).stream().filter(v -> v.version() == version)
                .findFirst().map(v -> new SecretValue(path, v.version(), open(path, v)));
    }

    @Override
    public synchronized Map<SecretPath, Integer> versions(Collection<SecretPath> paths) {
        refresh();
        Map<SecretPath, Integer> out = new LinkedHashMap<>();
        for (SecretPath p : paths) {
            List<Version> versions = doc.entries().get(p.toString());
            if (versions != null && !versions.isEmpty()) {
                out.put(p, versions.getLast().version());
            }
        }
        return out;
    }

    /** Every stored secret with its latest version; never values. */
    public synchronized List<Listing> list() {
        refresh();
        List<Listing> out = new ArrayList<>();
        doc.entries().forEach((p, versions) -> {
            if (!versions.isEmpty()) {
                Version last = versions.getLast();
                out.add(new Listing(SecretPath.parse(p), last.version(), last.created(), versions.size()));
            }
        });
        return out;
    }

    /** Stores {@code value} as the next version of {@code path}; returns that version. */
    public synchronized int put(SecretPath path, byte[] value) {
        if (value == null || value.length == 0) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "refusing to store an empty value at " + path);
        }
        return withWriteLock(() -> {
            Document current = load();
            List<Version> versions = new ArrayList<>(current.entries().getOrDefault(path.toString(), List.of()));
            int next = versions.isEmpty() ? 1 : versions.getLast().version() + 1;
            versions.add(new Version(next, Instant.now().toString(), seal(aad(path.toString(), next), value)));
            while (versions.size() > HISTORY) {
                versions.removeFirst();
            }
            current.entries().put(path.toString(), versions);
            write(current);
            return next;
        });
    }

    /** Removes every version of {@code path}; returns whether there was one. */
    public synchronized boolean remove(SecretPath path) {
        return withWriteLock(() -> {
            Document current = load();
            boolean had = current.entries().remove(path.toString()) != null;
            if (had) {
                write(current);
            }
            return had;
        });
    }

    // ---- file handling -----------------------------------------------------------------------------------------

    private void refresh() {
        Object now = stampOf();
        if (doc == null || !Objects.equals(now, stamp)) {
            doc = load();
            stamp = now;
        }
    }

    private Object stampOf() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.size(), a.lastModifiedTime().toMillis());
        } catch (IOException e) {
            return "absent";
        }
    }

    /** Reads and checks the file; an absent file is an empty store. */
    private Document load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Document(FORMAT, seal(keyCheckAad(), new byte[32]), Map.of());
        } catch (IOException e) {
            throw unavailable("cannot read the secret store " + file + ": " + e.getClass().getSimpleName());
        }
        Document d;
        try {
            JsonNode tree = Json.mapper().readTree(bytes);
            d = Json.mapper().treeToValue(tree, Document.class);
        } catch (IOException e) {
            throw unavailable("the secret store " + file + " is not a valid store file");
        }
        if (d == null || !FORMAT.equals(d.format()) || d.keyCheck() == null) {
            throw unavailable("the secret store " + file + " is not a " + FORMAT + " file");
        }
        byte[] check = decrypt(keyCheckAad(), d.keyCheck(), () -> unavailable(
                MasterKey.ENV + " does not open the secret store " + file + " (wrong master key?)"));
        Arrays.fill(check, (byte) 0);
        return d;
    }

    private void write(Document d) {
        try {
            Path dir = file.getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                Files.createDirectories(dir, privateDirAttrs());
            }
            byte[] json = Json.write(d);
            Path tmp = dir.resolve(file.getFileName() + ".tmp-" + Long.toHexString(RANDOM.nextLong()));
            try (FileChannel ch = FileChannel.open(tmp, openNew(), privateFileAttrs())) {
                ByteBuffer buf = ByteBuffer.wrap(json);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            doc = d;
            stamp = stampOf();
        } catch (IOException e) {
            throw unavailable("cannot write the secret store " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private interface Locked<T> {
        T run();
    }

    private <T> T withWriteLock(Locked<T> action) {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        try {
            Path dir = file.getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                Files.createDirectories(dir, privateDirAttrs());
            }
            try {
                Files.createFile(lockFile, privateFileAttrs());
            } catch (FileAlreadyExistsException e) {
                // another writer made it; the lock below is what counts
            }
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                    FileLock ignored = ch.lock()) {
                return action.run();
            }
        } catch (IOException e) {
            throw unavailable("cannot lock the secret store " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private static Set<StandardOpenOption> openNew() {
        return Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    private static FileAttribute<?>[] privateFileAttrs() {
        return posix()
                ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    private static FileAttribute<?>[] privateDirAttrs() {
        return posix()
                ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------"))}
                : new FileAttribute<?>[0];
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    // ---- crypto ------------------------------------------------------------------------------------------------

    private static byte[] aad(String path, int version) {
        return (FORMAT + "\0" + path + "\0" + version).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] keyCheckAad() {
        return (FORMAT + "\0key-check").getBytes(StandardCharsets.UTF_8);
    }

    private byte[] open(SecretPath path, Version v) {
        return decrypt(aad(path.toString(), v.version()), v.sealed(), () -> unavailable(
                "version " + v.version() + " of " + path + " in " + file + " does not decrypt (tampered store?)"));
    }

    private String seal(byte[] aad, byte[] plaintext) {
        try {
            byte[] iv = new byte[IV_BYTES];
            RANDOM.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.key(), new GCMParameterSpec(TAG_BITS, iv));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[IV_BYTES + ct.length];
            System.arraycopy(iv, 0, out, 0, IV_BYTES);
            System.arraycopy(ct, 0, out, IV_BYTES, ct.length);
            return Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw unavailable("AES-256-GCM is unavailable: " + e.getClass().getSimpleName());
        }
    }

    private byte[] decrypt(byte[] aad, String sealed, Supplier<OrgmeshException> onFailure) {
        try {
            byte[] in = Base64.getDecoder().decode(sealed);
            if (in.length < IV_BYTES + TAG_BITS / 8) {
                throw onFailure.get();
            }
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key.key(), new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
            c.updateAAD(aad);
            return c.doFinal(in, IV_BYTES, in.length - IV_BYTES);
        } catch (AEADBadTagException | IllegalArgumentException e) {
            throw onFailure.get();
        } catch (GeneralSecurityException e) {
            throw unavailable("AES-256-GCM is unavailable: " + e.getClass().getSimpleName());
        }
    }

    private static OrgmeshException unavailable(String message) {
        return new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, message);
    }
}
