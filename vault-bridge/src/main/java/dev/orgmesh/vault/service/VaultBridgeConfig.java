package dev.orgmesh.vault.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.service.OrgSource;

/** Settings of the vault-bridge service ({@code orgmesh.vault.*}). */
@ConfigMapping(prefix = "orgmesh.vault")
public interface VaultBridgeConfig extends OrgSource {
    /** The org file whose {@code secrets} lists are the policy. When absent, the org stored on the hub is followed. */
    @Override
    Optional<Path> orgFile();

    /** The company whose stored org to follow when no file is given. */
    @Override
    Optional<String> company();

    /**
     * hub-bootstrap's render output directory ({@code orgmesh render --out DIR}); agents' public NKeys are read from
     * {@code DIR/agents/<id>/agent.json} to verify signed requests.
     */
    Optional<Path> keysDir();

    /** Where values live: {@code embedded} (encrypted file, the default) or {@code vault} (HashiCorp Vault KV v2). */
    @WithDefault("embedded")
    Backend backend();

    /** The embedded store file ({@code orgmesh secrets --store}). */
    @WithDefault("orgmesh-vault.store")
    Path storePath();

    /**
     * The embedded store's master key: base64 of 32 bytes. Set it through the environment as
     * {@code ORGMESH_VAULT_MASTER_KEY}, never in a file.
     */
    Optional<String> masterKey();

    /** How far a request's timestamp may be from this clock, either way; also how long nonces are remembered. */
    @WithDefault("60s")
    Duration clockSkew();

    /**
     * Most nonces remembered at once per agent; above it that agent's requests are refused until its older ones
     * expire (other agents are not affected).
     */
    @WithDefault("10000")
    int maxNonces();

    /** How often stored versions are checked for rotation ({@code secret.rotated} events). */
    @WithDefault("10s")
    Duration rotationPoll();

    /** Requests handled concurrently. */
    @WithDefault("64")
    int maxInFlight();

    /** HashiCorp Vault, when {@code backend=vault}. */
    VaultServer vault();

    /** The backends. */
    enum Backend {
        EMBEDDED, VAULT
    }

    /** HashiCorp Vault KV v2 settings ({@code orgmesh.vault.vault.*}). */
    interface VaultServer {
        /** Vault's address, e.g. {@code https://vault.internal:8200}. */
        Optional<String> url();

        /** The KV v2 mount. */
        @WithDefault("secret")
        String mount();

        /** Path under the mount holding this company's secrets; default {@code orgmesh/<company>}. */
        Optional<String> prefix();

        /** The field of each KV secret that holds the value. */
        @WithDefault("value")
        String field();

        /** A Vault token (env {@code ORGMESH_VAULT_VAULT_TOKEN}); alternatively AppRole below. */
        Optional<String> token();

        /** AppRole role id. */
        Optional<String> roleId();

        /** AppRole secret id (env {@code ORGMESH_VAULT_VAULT_SECRET_ID}). */
        Optional<String> secretId();

        /** Per-request timeout. */
        @WithDefault("5s")
        Duration timeout();
    }
}
