package dev.orgmesh.vault.backend;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.testkit.FreePorts;
import dev.orgmesh.vault.store.SecretPath;
import dev.orgmesh.vault.store.SecretValue;

/**
 * The KV v2 backend against a protocol-level fake of HashiCorp Vault (WireMock on 127.0.0.1): the HTTP requests and
 * JSON answers of Vault's documented API ({@code /v1/<mount>/data/<path>}, {@code /v1/<mount>/metadata/<path>},
 * {@code /v1/auth/approle/login}, {@code X-Vault-Token}). A real Vault cannot run here; this checks our use of the
 * client and our error mapping, not Vault itself.
 */
class VaultKv2BackendTest {
    static final String TOKEN = "hvs.test-token-not-a-secret";
    static final String DATA = "/v1/secret/data/orgmesh/komodo-ai/";
    static final String META = "/v1/secret/metadata/orgmesh/komodo-ai/";
    static WireMockServer vault;

    @BeforeAll
    static void start() {
        vault = new WireMockServer(WireMockConfiguration.options().bindAddress(FreePorts.HOST).dynamicPort());
        vault.start();
    }

    @AfterAll
    static void stop() {
        vault.stop();
    }

    @BeforeEach
    void reset() {
        vault.resetAll();
    }

    VaultKv2Backend tokenBackend() {
        return new VaultKv2Backend(VaultKv2Backend.Settings.token(vault.baseUrl(), "secret", "orgmesh/komodo-ai",
                TOKEN).withTimeout(Duration.ofSeconds(2)));
    }

    static String kvRead(String value, int version) {
        return """
                {"request_id":"r1","lease_id":"","renewable":false,"lease_duration":0,
                 "data":{"data":{"value":"%s"},
                         "metadata":{"created_time":"2025-01-01T00:00:00.000000Z","custom_metadata":null,
                                     "deletion_time":"","destroyed":false,"version":%d}},
                 "wrap_info":null,"warnings":null,"auth":null}
                """.formatted(value, version);
    }

    @Test
    void readsTheLatestVersionWithTheToken() {
        vault.stubFor(get(urlPathEqualTo(DATA + "company/GITHUB_TOKEN")).withHeader("X-Vault-Token", equalTo(TOKEN))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody(kvRead("ghp_from-vault", 3))));
        try (VaultKv2Backend b = tokenBackend()) {
            SecretValue v = b.read(SecretPath.company("GITHUB_TOKEN")).orElseThrow();
            assertThat(new String(v.value(), StandardCharsets.UTF_8)).isEqualTo("ghp_from-vault");
            assertThat(v.version()).isEqualTo(3);
            assertThat(v.path()).isEqualTo(SecretPath.company("GITHUB_TOKEN"));
        }
    }

    @Test
    void versionsComeFromMetadataAndAMissingSecretIsEmpty() {
        vault.stubFor(get(urlPathEqualTo(META + "company/GITHUB_TOKEN")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"data":{"cas_required":false,"created_time":"2025-01-01T00:00:00Z","current_version":4,
                                 "delete_version_after":"0s","max_versions":0,"oldest_version":1,
                                 "updated_time":"2025-01-02T00:00:00Z","custom_metadata":null,"versions":{}}}
                        """)));
        vault.stubFor(get(urlPathEqualTo(META + "company/MISSING")).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"errors\":[]}")));
        vault.stubFor(get(urlPathEqualTo(DATA + "company/MISSING")).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"errors\":[]}")));
        try (VaultKv2Backend b = tokenBackend()) {
            assertThat(b.versions(List.of(SecretPath.company("GITHUB_TOKEN"), SecretPath.company("MISSING"))))
                    .isEqualTo(Map.of(SecretPath.company("GITHUB_TOKEN"), 4));
            assertThat(b.read(SecretPath.company("MISSING"))).isEmpty();
        }
    }

    @Test
    void permissionDeniedNamesThePathAndStatus() {
        vault.stubFor(get(urlPathEqualTo(DATA + "agents/cto-athena/GITHUB_TOKEN")).willReturn(aResponse()
                .withStatus(403).withHeader("Content-Type", "application/json")
                .withBody("{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}")));
        try (VaultKv2Backend b = tokenBackend()) {
            assertThatThrownBy(() -> b.read(SecretPath.agent("cto-athena", "GITHUB_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("secret/data/orgmesh/komodo-ai/agents/cto-athena/GITHUB_TOKEN")
                    .hasMessageContaining("HTTP 403 permission denied").hasMessageNotContaining(TOKEN)
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
        }
    }

    @Test
    void anUnreachableVaultIsAClearError() {
        int closed = FreePorts.next();
        try (VaultKv2Backend b = new VaultKv2Backend(VaultKv2Backend.Settings.token("http://127.0.0.1:" + closed,
                "secret", "orgmesh/komodo-ai", TOKEN).withTimeout(Duration.ofSeconds(1)))) {
            assertThatThrownBy(() -> b.read(SecretPath.company("GITHUB_TOKEN")))
                    .isInstanceOf(OrgmeshException.class)
                    .hasMessageContaining("cannot reach Vault at http://127.0.0.1:" + closed)
                    .hasMessageContaining("secret/data/orgmesh/komodo-ai/company/GITHUB_TOKEN")
                    .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);
        }
    }

    @Test
    void anAppRoleLoginGetsTheTokenItReadsWith() {
        vault.stubFor(post(urlPathEqualTo("/v1/auth/approle/login"))
                .withRequestBody(equalToJson("{\"role_id\":\"bridge-role\",\"secret_id\":\"bridge-secret-id\"}"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("""
                        {"auth":{"client_token":"hvs.approle-issued","accessor":"acc","policies":["orgmesh-read"],
                                 "token_policies":["orgmesh-read"],"lease_duration":3600,"renewable":true,
                                 "entity_id":"e1","token_type":"service","orphan":true}}
                        """)));
        vault.stubFor(get(urlPathEqualTo(DATA + "company/FLY_API_TOKEN"))
                .withHeader("X-Vault-Token", equalTo("hvs.approle-issued"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody(kvRead("fly-value", 1))));
        try (VaultKv2Backend b = new VaultKv2Backend(VaultKv2Backend.Settings.appRole(vault.baseUrl(), "secret",
                "orgmesh/komodo-ai", "bridge-role", "bridge-secret-id"))) {
            assertThat(b.read(SecretPath.company("FLY_API_TOKEN"))).get()
                    .extracting(v -> new String(v.value(), StandardCharsets.UTF_8)).isEqualTo("fly-value");
        }
        assertThat(vault.findAllUnmatchedRequests()).isEmpty();
    }
}
