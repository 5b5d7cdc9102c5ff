package dev.orgmesh.vault.wire;

/**
 * A successful reply to a {@link SecretRequest}: the secrets, sealed with HPKE (RFC 9180) to the request's
 * {@code reply_key}. Only the holder of that key's private half, the requesting agent's runtime, can open it. Error
 * replies are not of this type: they carry the NATS service error headers and an {@code ErrorBody}.
 *
 * @param v wire version, {@value SecretRequest#VERSION}
 * @param agent the agent it answers
 * @param nonce the request's nonce, so the agent can match the reply
 * @param suite the HPKE suite, {@code Hpke.SUITE} (crypto)
 * @param enc base64url of the HPKE encapsulated key
 * @param ct base64url of the HPKE ciphertext of a {@link SealedSecrets} JSON document
 */
public record SecretReply(int v, String agent, String nonce, String suite, String enc, String ct) {
}
