package dev.orgmesh.vault.store;

import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The embedded store's AES-256 key, given as base64 of 32 random bytes in {@value #ENV} (generate one with
 * {@code openssl rand -base64 32}). The key never appears in a message: errors only say what is wrong with it.
 */
public final class MasterKey {
    /** The environment variable holding the key. */
    public static final String ENV = "ORGMESH_VAULT_MASTER_KEY";

    private final SecretKey key;

    private MasterKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
        Arrays.fill(raw, (byte) 0);
    }

    /** Decodes base64 (standard or URL alphabet, padding optional) of exactly 32 bytes. */
    public static MasterKey fromBase64(String text) {
        if (text == null || text.isBlank()) {
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    ENV + " is not set: the embedded store needs a base64 32-byte key (openssl rand -base64 32)");
        }
        String t = text.strip();
        byte[] raw;
        try {
            raw = t.indexOf('-') >= 0 || t.indexOf('_') >= 0
                    ? Base64.getUrlDecoder().decode(t)
                    : Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, ENV + " is not valid base64");
        }
        if (raw.length != 32) {
            int n = raw.length;
            Arrays.fill(raw, (byte) 0);
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    ENV + " must decode to 32 bytes (AES-256), got " + n);
        }
        return new MasterKey(raw);
    }

    /** The key from {@code env} (pass {@code System.getenv()}). */
    public static MasterKey fromEnvironment(Map<String, String> env) {
        return fromBase64(env.get(ENV));
    }

    SecretKey key() {
        return key;
    }

    @Override
    public String toString() {
        return "MasterKey[<redacted>]";
    }
}
