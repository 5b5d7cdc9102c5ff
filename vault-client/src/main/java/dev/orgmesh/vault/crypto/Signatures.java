package dev.orgmesh.vault.crypto;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Base64;

import io.nats.client.NKey;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.vault.wire.WireCodec;

/**
 * Ed25519 signatures with NATS NKeys (jnats {@link NKey#sign} / {@link NKey#verify}) over the exact body bytes, as
 * carried in {@code Orgmesh-Signature} (base64url) and {@code Orgmesh-Signer} (the public user key, {@code U…}).
 */
public final class Signatures {
    private Signatures() {
    }

    /** The base64url signature of {@code body} by {@code key}. */
    public static String sign(NKey key, byte[] body) {
        try {
            return WireCodec.b64(key.sign(body));
        } catch (GeneralSecurityException | IOException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE, "cannot sign with this NKey: " + e
                    .getClass().getSimpleName());
        }
    }

    /** The public key of an NKey ({@code U…} for users). */
    public static String publicKey(NKey key) {
        try {
            return new String(key.getPublicKey());
        } catch (GeneralSecurityException | IOException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE, "cannot derive the NKey's public key");
        }
    }

    /** Whether {@code signature} (base64url) is {@code publicKey}'s signature of {@code body}. Never throws. */
    public static boolean verify(String publicKey, byte[] body, String signature) {
        if (publicKey == null || signature == null || !publicKey.startsWith("U")) {
            return false;
        }
        try {
            byte[] sig = Base64.getUrlDecoder().decode(signature);
            return NKey.fromPublicKey(publicKey.toCharArray()).verify(body, sig);
        } catch (IllegalArgumentException | GeneralSecurityException | IOException e) {
            return false;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
