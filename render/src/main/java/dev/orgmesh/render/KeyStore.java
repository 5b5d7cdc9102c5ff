package dev.orgmesh.render;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import io.nats.client.NKey;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The credentials of one rendered hub, kept in {@code <out>/keys} (0700, files 0600) so that rendering again reuses
 * them instead of rotating every credential: NKey seeds per user, leaf passwords per agent (with their bcrypt hash,
 * so {@code hub.conf} holds no password and stays byte-identical across renders), and the route password.
 *
 * <p>Rotation is deleting a file and rendering again. Nothing here logs or returns a secret in an exception message.
 */
final class KeyStore {
    private static final int BCRYPT_COST = 10;
    private static final int PASSWORD_BYTES = 32;

    private final Path dir;
    private final SecureRandom random;

    KeyStore(Path dir, SecureRandom random) {
        this.dir = dir;
        this.random = random;
    }

    /** The NKey user of {@code name} in {@code account}, created on first use. */
    NKey user(String account, String name) {
        Path file = SecureFiles.privateDir(dir.resolve(account)).resolve(name + ".nk");
        if (Files.isRegularFile(file)) {
            char[] seed = readChars(file);
            try {
                NKey key = NKey.fromSeed(seed);
                if (key.getType() != NKey.Type.USER) {
                    throw new OrgmeshException(ErrorCode.RENDER_FAILED, file + " does not hold a user NKey seed");
                }
                return key;
            } catch (IllegalArgumentException e) {
                throw new OrgmeshException(ErrorCode.RENDER_FAILED, file + " does not hold a valid NKey seed");
            } finally {
                Arrays.fill(seed, '\0');
            }
        }
        try {
            NKey key = NKey.createUser(random);
            SecureFiles.writePrivate(file, seedFileContent(key));
            return key;
        } catch (IOException | GeneralSecurityException e) {
            throw new OrgmeshException(ErrorCode.RENDER_FAILED, "cannot create an NKey for " + name, e);
        }
    }

    /** The leaf password of an agent and its bcrypt hash, created on first use. */
    LeafSecret leafSecret(String account, String name) {
        Path accountDir = SecureFiles.privateDir(dir.resolve(account));
        Path passFile = accountDir.resolve(name + ".leaf-password");
        Path hashFile = accountDir.resolve(name + ".leaf-password.bcrypt");
        String password;
        if (Files.isRegularFile(passFile)) {
            password = new String(readChars(passFile));
        } else {
            byte[] raw = new byte[PASSWORD_BYTES];
            random.nextBytes(raw);
            // URL-safe without padding: it travels in the leaf remote's URL user info.
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            SecureFiles.writePrivate(passFile, (password + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        String hash = Files.isRegularFile(hashFile) ? new String(readChars(hashFile)) : null;
        if (hash == null || !OpenBSDBCrypt.checkPassword(hash, password.toCharArray())) {
            byte[] salt = new byte[16];
            random.nextBytes(salt);
            hash = OpenBSDBCrypt.generate("2a", password.toCharArray(), salt, BCRYPT_COST);
            SecureFiles.writePrivate(hashFile, (hash + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        return new LeafSecret(password, hash);
    }

    /** The password cluster routes authenticate with, created on first use. */
    String routePassword() {
        Path file = SecureFiles.privateDir(dir).resolve("cluster.route-password");
        if (Files.isRegularFile(file)) {
            return new String(readChars(file));
        }
        byte[] raw = new byte[PASSWORD_BYTES];
        random.nextBytes(raw);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        SecureFiles.writePrivate(file, (password + "\n").getBytes(StandardCharsets.US_ASCII));
        return password;
    }

    /** The content of a seed file: the seed on one line, as {@code nats --nkey} and jnats read it. */
    static byte[] seedFileContent(NKey key) {
        char[] seed = key.getSeed();
        try {
            ByteBuffer encoded = StandardCharsets.US_ASCII.encode(CharBuffer.wrap(seed));
            byte[] out = new byte[encoded.remaining() + 1];
            encoded.get(out, 0, out.length - 1);
            out[out.length - 1] = '\n';
            return out;
        } finally {
            Arrays.fill(seed, '\0');
        }
    }

    private static char[] readChars(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int end = bytes.length;
            while (end > 0 && Character.isWhitespace(bytes[end - 1])) {
                end--;
            }
            char[] chars = new char[end];
            for (int i = 0; i < end; i++) {
                chars[i] = (char) (bytes[i] & 0xff);
            }
            Arrays.fill(bytes, (byte) 0);
            return chars;
        } catch (IOException e) {
            throw SecureFiles.failed("cannot read " + file, e);
        }
    }

    /**
     * A leaf's password and its bcrypt hash.
     *
     * @param password the secret, only ever written into the agent's 0600 {@code leaf.conf}
     * @param bcrypt the hash rendered into {@code hub.conf}
     */
    record LeafSecret(String password, String bcrypt) {
        @Override
        public String toString() {
            return "LeafSecret[password=<redacted>, bcrypt=" + bcrypt + "]";
        }
    }
}
