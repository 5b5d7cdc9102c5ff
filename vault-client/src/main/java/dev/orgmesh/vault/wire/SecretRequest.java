package dev.orgmesh.vault.wire;

import java.util.List;

/**
 * The body of a secret request on {@code {co}.vault.{agent}.get}: which secrets the agent wants, with what it needs
 * to prove freshness and to receive them sealed. The exact bytes of this JSON are what the agent signs with its NKey
 * (headers {@code Orgmesh-Signature}, {@code Orgmesh-Signer}); the bridge verifies those bytes before reading them.
 *
 * @param v wire version, {@value #VERSION}
 * @param agent the requesting agent's id; must be the agent of the subject
 * @param names the secret names wanted, as the agent's org entry lists them ({@code GITHUB_TOKEN})
 * @param nonce base64url of 16 to 64 random bytes, never reused; the bridge refuses a nonce it has seen
 * @param ts when the request was made, epoch milliseconds; the bridge refuses requests outside its clock skew window
 * @param replyTo the reply subject of the request message, signed so a replayed request cannot be redirected
 * @param replyKey base64url of the 32-byte X25519 public key the agent made for this request; the reply is sealed
 *        to it with HPKE
 */
public record SecretRequest(int v, String agent, List<String> names, String nonce, long ts, String replyTo,
        String replyKey) {

    /** The only wire version so far. */
    public static final int VERSION = 1;

    public SecretRequest {
        names = names == null ? null : List.copyOf(names);
    }
}
