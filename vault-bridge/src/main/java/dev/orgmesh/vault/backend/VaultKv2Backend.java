package dev.orgmesh.vault.backend;

import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jboss.logging.Logger;

import io.quarkus.vault.client.VaultClient;
import io.quarkus.vault.client.VaultClientException;
import io.quarkus.vault.client.api.secrets.kv2.VaultSecretsKV2;
import io.quarkus.vault.client.api.secrets.kv2.VaultSecretsKV2ReadSecretData;
import io.quarkus.vault.client.api.secrets.kv2.VaultSecretsKV2ReadSecretMetadataResultData;
import io.quarkus.vault.client.http.jdk.JDKVaultHttpClient;
import io.quarkus.vault.client.logging.LogConfidentialityLevel;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.vault.store.SecretBackend;
import dev.orgmesh.vault.store.SecretPath;
import dev.orgmesh.vault.store.SecretValue;

/**
 * HashiCorp Vault KV v2 as the backend, through the plain-Java client of quarkiverse/quarkus-vault
 * ({@code io.quarkiverse.vault:quarkus-vault-client}, no Quarkus runtime needed) over the JDK {@link HttpClient}.
 * It logs in with a static token or AppRole (the client renews and caches the AppRole token), and is set to the
 * highest log confidentiality so it never logs a token or a value.
 *
 * <p>Layout in Vault: the secret at orgmesh path {@code P} ({@code company/NAME} or {@code agents/<id>/NAME}) is the
 * KV v2 secret {@code <mount>/data/<prefix>/P}, and its value is the string in field {@code value} (configurable).
 * Vault's own versioning is used as is.
 *
 * <p>Errors: a 404 is "not stored" (empty); 403 means Vault refused the bridge (its policy lacks read on the path, or
 * the token is not valid); a refused AppRole login says so; anything else, including an unreachable or sealed Vault,
 * is {@code VAULT_BACKEND_UNAVAILABLE}. Messages name the Vault path
 * and status, never a value or a token.
 */
public final class VaultKv2Backend implements SecretBackend {
    private static final Logger LOG = Logger.getLogger(VaultKv2Backend.class);

    private final Settings settings;
    private final VaultClient client;
    private final JDKVaultHttpClient http;

    /**
     * How to reach Vault.
     *
     * @param url Vault's address, e.g. {@code https://vault.internal:8200}
     * @param mount the KV v2 mount, default {@code secret}
     * @param prefix path under the mount where orgmesh keeps this company's secrets, e.g. {@code orgmesh/komodo-ai}
     * @param field the field of each KV secret holding the value, default {@code value}
     * @param token a static Vault token, or {@code null} to use AppRole
     * @param roleId AppRole role id (with {@code secretId})
     * @param secretId AppRole secret id
     * @param timeout per-request timeout
     */
    public record Settings(String url, String mount, String prefix, String field, String token, String roleId,
            String secretId, Duration timeout) {
        public Settings {
            Objects.requireNonNull(url, "url");
            mount = mount == null || mount.isBlank() ? "secret" : strip(mount);
            prefix = prefix == null ? "" : strip(prefix);
            field = field == null || field.isBlank() ? "value" : field;
            timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
        }

        private static String strip(String s) {
            String t = s.strip();
            while (t.startsWith("/")) {
                t = t.substring(1);
            }
            while (t.endsWith("/")) {
                t = t.substring(0, t.length() - 1);
            }
            return t;
        }

        /** Token login. */
        public static Settings token(String url, String mount, String prefix, String token) {
            return new Settings(url, mount, prefix, null, token, null, null, null);
        }

        /** AppRole login. */
        public static Settings appRole(String url, String mount, String prefix, String roleId, String secretId) {
            return new Settings(url, mount, prefix, null, null, roleId, secretId, null);
        }

        public Settings withTimeout(Duration t) {
            return new Settings(url, mount, prefix, field, token, roleId, secretId, t);
        }

        @Override
        public String toString() {
            return "Settings[url=" + url + ", mount=" + mount + ", prefix=" + prefix + ", field=" + field + ", auth="
                    + (token != null ? "token" : "approle") + ", timeout=" + timeout + "]";
        }
    }

    public VaultKv2Backend(Settings settings) {
        this.settings = settings;
        this.http = new JDKVaultHttpClient(HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build());
        var b = VaultClient.builder().baseUrl(settings.url()).executor(http)
                .requestTimeout(settings.timeout()).logConfidentialityLevel(LogConfidentialityLevel.HIGH);
        if (settings.token() != null && !settings.token().isBlank()) {
            b.clientToken(settings.token());
        } else if (settings.roleId() != null && settings.secretId() != null) {
            b.appRole(settings.roleId(), settings.secretId());
        } else {
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    "Vault at " + settings.url() + ": give a token or an AppRole role id and secret id");
        }
        this.client = b.build();
    }

    @Override
    public String describe() {
        return "vault-kv2:" + settings.url() + "/" + settings.mount() + "/" + settings.prefix();
    }

    /** The KV v2 path (under the mount) of an orgmesh secret path. */
    public String vaultPath(SecretPath path) {
        return settings.prefix().isEmpty() ? path.toString() : settings.prefix() + "/" + path;
    }

    /** The full API path, for messages: {@code <mount>/data/<prefix>/<path>}. */
    private String apiPath(SecretPath path) {
        return settings.mount() + "/data/" + vaultPath(path);
    }

    private VaultSecretsKV2 kv() {
        return client.secrets().kv2(settings.mount());
    }

    @Override
    public Optional<SecretValue> read(SecretPath path) {
        VaultSecretsKV2ReadSecretData data = await("read " + apiPath(path), kv().readSecret(vaultPath(path)));
        if (data == null) {
            return Optional.empty();
        }
        Object v = data.getData() == null ? null : data.getData().get(settings.field());
        if (!(v instanceof String s)) {
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, "Vault secret " + apiPath(path)
                    + " has no string field '" + settings.field() + "'");
        }
        Integer version = data.getMetadata() == null ? null : data.getMetadata().getVersion();
        return Optional.of(new SecretValue(path, version == null ? 0 : version, s.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public Map<SecretPath, Integer> versions(Collection<SecretPath> paths) {
        Map<SecretPath, Integer> out = new LinkedHashMap<>();
        for (SecretPath p : paths) {
            VaultSecretsKV2ReadSecretMetadataResultData meta = await(
                    "read metadata of " + settings.mount() + "/metadata/" + vaultPath(p),
                    kv().readSecretMetadata(vaultPath(p)));
            if (meta != null && meta.getCurrentVersion() != null) {
                out.put(p, meta.getCurrentVersion());
            }
        }
        return out;
    }

    /** Waits for a Vault call; 404 gives {@code null}, every other failure a {@code VAULT_*} exception. */
    private <T> T await(String what, CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(settings.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                    && cause.getCause() != null) {
                cause = cause.getCause();
            }
            RuntimeException t = translate(what, cause);
            if (t instanceof NotFound) {
                return null;
            }
            throw t;
        } catch (TimeoutException e) {
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    "Vault at " + settings.url() + " did not answer " + what + " within " + settings.timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, "interrupted during Vault " + what);
        }
    }

    private RuntimeException translate(String what, Throwable cause) {
        if (cause instanceof VaultClientException v && v.getStatus() != null) {
            int status = v.getStatus();
            String request = v.getRequestPath() == null ? "" : v.getRequestPath();
            if (request.contains("auth/") && request.endsWith("/login")) {
                return new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, "Vault refused the AppRole login"
                        + " needed to " + what + " (HTTP " + status + "): check the bridge's role id and secret id,"
                        + " and that AppRole is enabled at auth/approle");
            }
            if (status == 404) {
                return new NotFound();
            }
            if (status == 403 || v.isPermissionDenied()) {
                return new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, "Vault refused to " + what
                        + " (HTTP 403 permission denied): the bridge's Vault policy must allow read on that path");
            }
            return new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    "Vault could not " + what + " (HTTP " + status + ")");
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            if (root instanceof ConnectException || root instanceof HttpTimeoutException) {
                break;
            }
            root = root.getCause();
        }
        String why = root instanceof HttpConnectTimeoutException
                ? "connection timed out"
                : root instanceof ConnectException ? "connection refused" : root.getClass().getSimpleName();
        LOG.debugf("Vault %s failed: %s", what, why);
        return new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                "cannot reach Vault at " + settings.url() + " to " + what + ": " + why);
    }

    /** Internal marker for 404, turned into an empty result. */
    private static final class NotFound extends RuntimeException {
        NotFound() {
            super(null, null, false, false);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
