package dev.orgmesh.vault.bridge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.vault.crypto.ReplayGuard;

/**
 * The bridge's shared nonce ledger: the KV bucket {@code OM_{CO}_NONCES}, one key per used nonce
 * ({@code {agent}.{SHA-256 of the nonce, hex}}: a nonce is the agent's text, a key must be a safe token), written
 * create-only, so the second claim of a nonce fails on the server whichever bridge instance makes it. Keys expire
 * with the bucket's max age, which outlasts the replay window. The bucket is opened on first use: a bridge starts (and
 * reports ready) before hub-bootstrap has applied the org, and refuses requests until the bucket exists.
 */
public final class KvNonceLedger implements ReplayGuard.NonceLedger {
    /** JetStream's "wrong last sequence": the key exists. */
    private static final int KEY_EXISTS = 10071;

    private final Connection connection;
    private final String name;
    private final KeyValueOptions options;
    private volatile KeyValue bucket;

    public KvNonceLedger(Connection connection, String bucketName, KeyValueOptions options) {
        this.connection = connection;
        this.name = bucketName;
        this.options = options;
    }

    @Override
    public boolean claim(String agent, String nonce) {
        String key = agent + "." + hash(nonce);
        try {
            bucket().create(key, new byte[]{'1'});
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == KEY_EXISTS) {
                return false;
            }
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    "cannot record the request's nonce: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    "cannot record the request's nonce: " + e.getMessage(), e);
        }
    }

    private KeyValue bucket() {
        KeyValue b = bucket;
        if (b == null) {
            try {
                b = connection.keyValue(name, options);
            } catch (IOException e) {
                throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, "the nonce ledger " + name
                        + " cannot be opened (" + e.getMessage() + "); hub-bootstrap creates it when it applies the org"
                        + " (or run `orgmesh apply`)", e);
            }
            bucket = b;
        }
        return b;
    }

    static String hash(String nonce) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(nonce.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
