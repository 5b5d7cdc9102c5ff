package dev.orgmesh.vault.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Sealing secrets to the requesting agent: HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256 and AES-128-GCM, from BouncyCastle's {@link HPKE} (the {@code bcprov-lts8on} jnats already brings).
 * Nothing here implements a primitive; this class only fixes the suite and the context binding.
 *
 * <p>Binding: HPKE {@code info} is {@code "orgmesh-vault/v1" 0x00 agent 0x00 nonce}, so a reply opens only in the
 * context of the request it answers, and {@code aad} is the SHA-256 of the exact signed request body, so it is also
 * bound to the names, time and reply subject that were asked for.
 */
public final class Hpke {
    /** The suite's name as sent in replies. */
    public static final String SUITE = "DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/AES-128-GCM";

    private static final byte[] INFO_LABEL = "orgmesh-vault/v1".getBytes(StandardCharsets.US_ASCII);

    private Hpke() {
    }

    private static HPKE hpke() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM128);
    }

    /** A fresh X25519 key pair for one request. */
    public static AsymmetricCipherKeyPair newKeyPair() {
        return hpke().generatePrivateKey();
    }

    /** The 32-byte public key of a pair, as sent in {@code reply_key}. */
    public static byte[] publicKey(AsymmetricCipherKeyPair pair) {
        return hpke().serializePublicKey(pair.getPublic());
    }

    /** The HPKE {@code info} of a request. */
    public static byte[] info(String agent, String nonce) {
        byte[] a = agent.getBytes(StandardCharsets.UTF_8);
        byte[] n = nonce.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[INFO_LABEL.length + 1 + a.length + 1 + n.length];
        System.arraycopy(INFO_LABEL, 0, out, 0, INFO_LABEL.length);
        System.arraycopy(a, 0, out, INFO_LABEL.length + 1, a.length);
        System.arraycopy(n, 0, out, INFO_LABEL.length + 2 + a.length, n.length);
        return out;
    }

    /** The HPKE {@code aad} of a request: SHA-256 of its exact body bytes. */
    public static byte[] aad(byte[] requestBody) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(requestBody);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** A sealed message: the encapsulated key and the ciphertext. */
    public record Sealed(byte[] enc, byte[] ct) {
    }

    /** Seals {@code plaintext} to the 32-byte X25519 {@code recipientKey}. */
    public static Sealed seal(byte[] recipientKey, byte[] info, byte[] aad, byte[] plaintext) {
        HPKE h = hpke();
        AsymmetricKeyParameter pkR;
        try {
            pkR = h.deserializePublicKey(recipientKey);
        } catch (RuntimeException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "reply_key is not a usable X25519 public key");
        }
        try {
            byte[][] out = h.seal(pkR, info, aad, plaintext, null, null, null);
            return new Sealed(out[1], out[0]);
        } catch (InvalidCipherTextException | RuntimeException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "cannot seal to reply_key: " + e.getClass()
                    .getSimpleName());
        }
    }

    /**
     * Seals with a given ephemeral key pair instead of a random one. Only for checking the suite against the RFC 9180
     * test vectors; reusing an ephemeral key is never done in production.
     */
    static Sealed sealWithEphemeral(byte[] recipientKey, byte[] info, byte[] aad, byte[] plaintext,
            AsymmetricCipherKeyPair ephemeral) throws InvalidCipherTextException {
        HPKE h = hpke();
        var ctx = h.setupBaseS(h.deserializePublicKey(recipientKey), info, ephemeral);
        return new Sealed(ctx.getEncapsulation(), ctx.seal(aad, plaintext));
    }

    /** Derives a key pair from input keying material (RFC 9180 DeriveKeyPair), for test vectors. */
    static AsymmetricCipherKeyPair deriveKeyPair(byte[] ikm) {
        return hpke().deriveKeyPair(ikm);
    }

    /** Opens a sealed message with the request's private key; {@code VAULT_BAD_SIGNATURE} when it does not open. */
    public static byte[] open(AsymmetricCipherKeyPair recipient, byte[] info, byte[] aad, Sealed sealed) {
        try {
            return hpke().open(sealed.enc(), recipient, info, aad, sealed.ct(), null, null, null);
        } catch (InvalidCipherTextException | RuntimeException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE,
                    "the sealed reply does not open with this request's key (tampered, or for another request)");
        }
    }
}
