package dev.orgmesh.vault.wire;

import java.io.IOException;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;

/**
 * Encodes and strictly decodes the vault wire types. Every problem is a {@code VAULT_BAD_REQUEST} naming the field;
 * no message ever quotes a value it was given beyond names and ids.
 */
public final class WireCodec {
    /** Largest request body the bridge reads, in bytes. Real requests are a few hundred bytes. */
    public static final int MAX_REQUEST_BYTES = 16 * 1024;
    /** Most secret names one request may ask for. */
    public static final int MAX_NAMES = 64;
    /** Secret names are environment variable names, as the org file requires. */
    public static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    /** X25519 public keys are 32 bytes. */
    public static final int X25519_KEY_BYTES = 32;

    private WireCodec() {
    }

    /** The JSON bytes of any wire record. */
    public static byte[] encode(Object value) {
        return Json.write(value);
    }

    /** Parses and validates a request body. */
    public static SecretRequest decodeRequest(byte[] body) {
        if (body == null || body.length == 0) {
            throw bad("empty request body");
        }
        if (body.length > MAX_REQUEST_BYTES) {
            throw bad("request of " + body.length + " bytes exceeds the limit of " + MAX_REQUEST_BYTES);
        }
        SecretRequest r;
        try {
            r = Json.mapper().readValue(body, SecretRequest.class);
        } catch (IOException e) {
            throw bad("request is not a valid JSON secret request");
        }
        if (r == null) {
            throw bad("request is JSON null");
        }
        if (r.v() != SecretRequest.VERSION) {
            throw bad("unsupported request version " + r.v() + " (expected " + SecretRequest.VERSION + ")");
        }
        if (r.agent() == null || !Subjects.SAFE_TOKEN.matcher(r.agent()).matches()) {
            throw bad("field 'agent' must be an agent id");
        }
        List<String> names = r.names();
        if (names == null || names.isEmpty()) {
            throw bad("field 'names' must list at least one secret name");
        }
        if (names.size() > MAX_NAMES) {
            throw bad("field 'names' lists " + names.size() + " names; at most " + MAX_NAMES + " are allowed");
        }
        HashSet<String> seen = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (n == null || !SECRET_NAME.matcher(n).matches()) {
                throw bad("names[" + i + "] is not a secret name [A-Za-z_][A-Za-z0-9_]*");
            }
            if (!seen.add(n)) {
                throw bad("names[" + i + "] repeats " + n);
            }
        }
        byte[] nonce = b64("nonce", r.nonce());
        if (nonce.length < 16 || nonce.length > 64) {
            throw bad("field 'nonce' must be 16 to 64 bytes, got " + nonce.length);
        }
        if (r.ts() <= 0) {
            throw bad("field 'ts' must be epoch milliseconds");
        }
        if (r.replyTo() == null || r.replyTo().isBlank()) {
            throw bad("field 'reply_to' is required");
        }
        if (b64("reply_key", r.replyKey()).length != X25519_KEY_BYTES) {
            throw bad("field 'reply_key' must be a 32-byte X25519 public key");
        }
        return r;
    }

    /** Parses a success reply. */
    public static SecretReply decodeReply(byte[] body) {
        try {
            SecretReply r = Json.mapper().readValue(body, SecretReply.class);
            if (r == null || r.enc() == null || r.ct() == null) {
                throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "reply lacks 'enc' or 'ct'");
            }
            return r;
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "reply is not a valid JSON secret reply");
        }
    }

    /** Parses the opened plaintext of a reply. */
    public static SealedSecrets decodeSealed(byte[] plaintext) {
        try {
            return Json.mapper().readValue(plaintext, SealedSecrets.class);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "opened reply is not a valid secrets document");
        }
    }

    /** base64url without padding. */
    public static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Decodes base64url (padding optional); a {@code VAULT_BAD_REQUEST} naming {@code field} when it is not. */
    public static byte[] b64(String field, String text) {
        if (text == null) {
            throw bad("field '" + field + "' is required");
        }
        try {
            return Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw bad("field '" + field + "' is not base64url");
        }
    }

    private static OrgmeshException bad(String message) {
        return new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, message);
    }
}
