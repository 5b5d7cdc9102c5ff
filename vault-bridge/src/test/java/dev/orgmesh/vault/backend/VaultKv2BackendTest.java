package dev.orgmesh.vault.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.vault.store.SecretPath;
import dev.orgmesh.vault.store.SecretValue;

/**
 * The KV v2 backend against a real Vault-compatible server: OpenBao in dev mode ({@link OpenBaoServer}), one process
 * for the class, KV v2 at {@code secret/}. Each test keeps its secrets under a prefix of its own. Every case runs on
 * the real server (Vault's answers, status codes, token and policy checks, AppRole login), except an unreachable
 * Vault, which is a closed port.
 */
class VaultKv2BackendTest {
    static OpenBaoServer bao;
    String prefix;

    @BeforeAll
    static void start() throws IOException {
        bao = OpenBaoServer.start();
    }

    @AfterAll
    static void stop() {
        bao.close();
    }

    @BeforeEach
    void ownPrefix() {
        prefix = "orgmesh/co-" + UUID.randomUUID().toString().substring(0, 8);
    }

    VaultKv2Backend backend(String token) {
        return new VaultKv2Backend(VaultKv2Backend.Settings.token(bao.url(), "secret", prefix, token)
                .withTimeout(Duration.ofSeconds(5)));
    }

    static String text(SecretValue v) {
        return new String(v.value(), StandardCharsets.UTF_8);
    }

    @Test
    void readsTheLatestVersionAndSeesARotation() {
        SecretPath path = SecretPath.company("GITHUB_TOKEN");
        assertThat(bao.put(prefix + "/company/GITHUB_TOKEN", Map.of("value", "ghp_first"))).isEqualTo(1);
        try (VaultKv2Backend b = backend(bao.rootToken())) {
            SecretValue first = b.read(path).orElseThrow();
            assertThat(text(first)).isEqualTo("ghp_first");
            assertThat(first.version()).isEqualTo(1);
            assertThat(first.path()).isEqualTo(path);
            assertThat(b.versions(List.of(path))).isEqualTo(Map.of(path, 1));

            assertThat(bao.put(prefix + "/company/GITHUB_TOKEN", Map.of("value", "ghp_rotated"))).isEqualTo(2);

            assertThat(b.versions(List.of(path))).isEqualTo(Map.of(path, 2));
            SecretValue rotated = b.read(path).orElseThrow();
            assertThat(text(rotated)).isEqualTo("ghp_rotated");
            assertThat(rotated.version()).isEqualTo(2);
        }
    }

    @Test
    void aMissingSecretIsEmptyAndHasNoVersion() {
        bao.put(prefix + "/company/GITHUB_TOKEN", Map.of("value", "ghp_x"));
        try (VaultKv2Backend b = backend(bao.rootToken())) {
            assertThat(b.read(SecretPath.company("MISSING"))).isEmpty();
            assertThat(b.versions(List.of(SecretPath.company("GITHUB_TOKEN"), SecretPath.company("MISSING"))))
                    .isEqualTo(Map.of(SecretPath.company("GITHUB_TOKEN"), 1));
        }
    }

    @Test
    void aWrongTokenIsRefusedWithThePathAndStatus() {
        bao.put(prefix + "/company/GITHUB_TOKEN", Map.of("value", "ghp_x"));
        String wrong = "s.not-a-token-" + UUID.randomUUID();
        try (VaultKv2Backend b = backend(wrong)) {
            assertThatThrownBy(() -> b.read(SecretPath.company("GITHUB_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("secret/data/" + prefix + "/company/GITHUB_TOKEN")
                    .hasMessageContaining("HTTP 403 permission denied").hasMessageNotContaining(wrong)
                    .hasMessageNotContaining("ghp_x")
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
            assertThatThrownBy(() -> b.versions(List.of(SecretPath.company("GITHUB_TOKEN"))))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("secret/metadata/" + prefix + "/company/GITHUB_TOKEN")
                    .hasMessageContaining("HTTP 403");
        }
    }

    @Test
    void aPolicyWithoutReadOnThePathIsRefusedThere() {
        bao.put(prefix + "/company/GITHUB_TOKEN", Map.of("value", "ghp_company"));
        bao.put(prefix + "/agents/cto-athena/GITHUB_TOKEN", Map.of("value", "ghp_athena"));
        String policy = "company-only-" + UUID.randomUUID().toString().substring(0, 8);
        bao.policy(policy, "path \"secret/data/" + prefix + "/company/*\" { capabilities = [\"read\"] }\n"
                + "path \"secret/metadata/" + prefix + "/company/*\" { capabilities = [\"read\"] }\n");
        String token = bao.token(policy);
        try (VaultKv2Backend b = backend(token)) {
            assertThat(text(b.read(SecretPath.company("GITHUB_TOKEN")).orElseThrow())).isEqualTo("ghp_company");
            assertThatThrownBy(() -> b.read(SecretPath.agent("cto-athena", "GITHUB_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("secret/data/" + prefix + "/agents/cto-athena/GITHUB_TOKEN")
                    .hasMessageContaining("HTTP 403 permission denied").hasMessageNotContaining(token)
                    .hasMessageNotContaining("ghp_athena")
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
        }
    }

    @Test
    void aSecretWithoutTheValueFieldIsAClearError() {
        bao.put(prefix + "/company/FLY_API_TOKEN", Map.of("password", "fly-value"));
        try (VaultKv2Backend b = backend(bao.rootToken())) {
            assertThatThrownBy(() -> b.read(SecretPath.company("FLY_API_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("secret/data/" + prefix + "/company/FLY_API_TOKEN")
                    .hasMessageContaining("no string field 'value'").hasMessageNotContaining("fly-value")
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
        }
    }

    @Test
    void anAppRoleLoginGetsATokenItReadsWith() {
        bao.put(prefix + "/company/FLY_API_TOKEN", Map.of("value", "fly-value"));
        String policy = "bridge-" + UUID.randomUUID().toString().substring(0, 8);
        bao.policy(policy, "path \"secret/data/" + prefix + "/*\" { capabilities = [\"read\"] }\n");
        String[] ids = bao.appRole(policy, policy);
        try (VaultKv2Backend b = new VaultKv2Backend(VaultKv2Backend.Settings.appRole(bao.url(), "secret", prefix,
                ids[0], ids[1]))) {
            SecretValue v = b.read(SecretPath.company("FLY_API_TOKEN")).orElseThrow();
            assertThat(text(v)).isEqualTo("fly-value");
            assertThat(v.version()).isEqualTo(1);
        }
        try (VaultKv2Backend b = new VaultKv2Backend(VaultKv2Backend.Settings.appRole(bao.url(), "secret", prefix,
                ids[0], "not-the-secret-id"))) {
            assertThatThrownBy(() -> b.read(SecretPath.company("FLY_API_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("Vault refused the AppRole login needed to read secret/data/" + prefix
                            + "/company/FLY_API_TOKEN (HTTP 400)")
                    .hasMessageNotContaining("not-the-secret-id").hasMessageNotContaining(ids[0])
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
        }
    }

    @Test
    void aSealedVaultIsUnavailableWithItsStatus() throws IOException {
        // A server of its own: sealing is for good.
        try (OpenBaoServer sealed = OpenBaoServer.start()) {
            sealed.put("orgmesh/co/company/GITHUB_TOKEN", Map.of("value", "ghp_x"));
            sealed.seal();
            try (VaultKv2Backend b = new VaultKv2Backend(VaultKv2Backend.Settings.token(sealed.url(), "secret",
                    "orgmesh/co", sealed.rootToken()))) {
                assertThatThrownBy(() -> b.read(SecretPath.company("GITHUB_TOKEN")))
                        .isInstanceOf(OrgmeshException.class)
                        .hasMessageContaining("could not read secret/data/orgmesh/co/company/GITHUB_TOKEN")
                        .hasMessageContaining("HTTP 503")
                        .extracting(e -> ((OrgmeshException) e).code())
                        .isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
            }
        }
    }

    @Test
    void anUnreachableVaultIsAClearError() {
        int closed = FreePorts.next();
        try (VaultKv2Backend b = new VaultKv2Backend(VaultKv2Backend.Settings.token("http://127.0.0.1:" + closed,
                "secret", "orgmesh/komodo-ai", "s.unused").withTimeout(Duration.ofSeconds(1)))) {
            assertThatThrownBy(() -> b.read(SecretPath.company("GITHUB_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("cannot reach Vault at http://127.0.0.1:" + closed)
                    .hasMessageContaining("secret/data/orgmesh/komodo-ai/company/GITHUB_TOKEN")
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
        }
    }
}
