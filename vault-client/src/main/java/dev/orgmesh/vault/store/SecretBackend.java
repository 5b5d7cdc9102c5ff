package dev.orgmesh.vault.store;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Where secret values live. Implementations: {@link EmbeddedStore} (default, an encrypted file) and
 * {@link VaultKv2Backend} (HashiCorp Vault KV v2). Failures are {@code OrgmeshException}s with a {@code VAULT_*}
 * code and a message naming the path, never the value.
 */
public interface SecretBackend extends AutoCloseable {
    /** The latest version at {@code path}, or empty when nothing is stored there. */
    Optional<SecretValue> read(SecretPath path);

    /** The current version of each of {@code paths} that exists (for rotation detection); reads no values. */
    Map<SecretPath, Integer> versions(Collection<SecretPath> paths);

    /** A short description for logs and health data ({@code embedded:/path}, {@code vault:https://…}). */
    String describe();

    @Override
    default void close() {
    }
}
