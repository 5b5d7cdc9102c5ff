package dev.orgmesh.vault.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

class EmbeddedStoreTest {
    static final SecretPath TOKEN = SecretPath.company("GITHUB_TOKEN");

    @TempDir
    Path tmp;

    static MasterKey randomKey() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return MasterKey.fromBase64(Base64.getEncoder().encodeToString(raw));
    }

    @Test
    void valuesAreVersionedAndNeverOnDiskInTheClear() throws Exception {
        Path file = tmp.resolve("store/vault.store");
        EmbeddedStore store = new EmbeddedStore(file, randomKey());
        assertThat(store.read(TOKEN)).isEmpty();
        assertThat(store.put(TOKEN, bytes("ghp_first-value-1"))).isEqualTo(1);
        assertThat(store.put(TOKEN, bytes("ghp_second-value-2"))).isEqualTo(2);
        store.put(SecretPath.agent("cto-athena", "GITHUB_TOKEN"), bytes("athena-own-value"));

        assertThat(store.read(TOKEN)).get().satisfies(v -> {
            assertThat(v.version()).isEqualTo(2);
            assertThat(new String(v.value(), StandardCharsets.UTF_8)).isEqualTo("ghp_second-value-2");
            assertThat(v.toString()).doesNotContain("ghp_");
        });
        assertThat(store.read(TOKEN, 1)).get().extracting(v -> new String(v.value(), StandardCharsets.UTF_8))
                .isEqualTo("ghp_first-value-1");
        assertThat(store.list()).extracting(l -> l.path() + "@" + l.version())
                .containsExactly("agents/cto-athena/GITHUB_TOKEN@1", "company/GITHUB_TOKEN@2");
        assertThat(store.versions(List.of(TOKEN, SecretPath.company("NOPE")))).containsExactly(
                java.util.Map.entry(TOKEN, 2));

        String onDisk = Files.readString(file, StandardCharsets.ISO_8859_1);
        assertThat(onDisk).contains("company/GITHUB_TOKEN").doesNotContain("ghp_", "athena-own-value",
                Base64.getEncoder().encodeToString(bytes("ghp_second-value-2")));
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(file.getParent()))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));

        assertThat(store.remove(TOKEN)).isTrue();
        assertThat(store.remove(TOKEN)).isFalse();
        assertThat(store.read(TOKEN)).isEmpty();
    }

    @Test
    void anotherProcessSeesAPutWithoutRestart() {
        MasterKey key = randomKey();
        Path file = tmp.resolve("vault.store");
        EmbeddedStore bridge = new EmbeddedStore(file, key);
        EmbeddedStore cli = new EmbeddedStore(file, key);
        cli.put(TOKEN, bytes("v1-value"));
        assertThat(bridge.read(TOKEN)).get().extracting(SecretValue::version).isEqualTo(1);
        cli.put(TOKEN, bytes("v2-value"));
        assertThat(bridge.read(TOKEN)).get().extracting(SecretValue::version).isEqualTo(2);
    }

    @Test
    void aWrongKeyOrATamperedFileIsAClearErrorWithoutValues() throws Exception {
        Path file = tmp.resolve("vault.store");
        new EmbeddedStore(file, randomKey()).put(TOKEN, bytes("ghp_value-xyz"));

        assertThatThrownBy(() -> new EmbeddedStore(file, randomKey()).read(TOKEN))
                .isInstanceOf(OrgmeshException.class)
                .hasMessageContaining("ORGMESH_VAULT_MASTER_KEY does not open the secret store")
                .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_BACKEND_UNAVAILABLE);

        MasterKey key = randomKey();
        Path other = tmp.resolve("other.store");
        EmbeddedStore store = new EmbeddedStore(other, key);
        store.put(SecretPath.company("A"), bytes("value-of-a"));
        store.put(SecretPath.company("B"), bytes("value-of-b"));
        // Swap the two ciphertexts on disk: each is bound to its path, so neither opens as the other.
        String json = Files.readString(other);
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) dev.orgmesh.protocol.Json.mapper().readTree(json);
        var entries = (com.fasterxml.jackson.databind.node.ObjectNode) tree.get("entries");
        var a = entries.get("company/A");
        entries.set("company/A", entries.get("company/B"));
        entries.set("company/B", a);
        Files.writeString(other, tree.toString());
        assertThatThrownBy(() -> new EmbeddedStore(other, key).read(SecretPath.company("A")))
                .hasMessageContaining("does not decrypt").hasMessageNotContaining("value-of");
    }

    @Test
    void theMasterKeyMustBe32Bytes() {
        assertThatThrownBy(() -> MasterKey.fromBase64(null)).hasMessageContaining("is not set");
        assertThatThrownBy(() -> MasterKey.fromBase64("c2hvcnQ=")).hasMessageContaining("got 5");
        assertThatThrownBy(() -> MasterKey.fromBase64("%%%")).hasMessageContaining("not valid base64");
        assertThat(MasterKey.fromEnvironment(java.util.Map.of(MasterKey.ENV,
                Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]))).toString())
                .isEqualTo("MasterKey[<redacted>]");
        assertThatThrownBy(() -> new EmbeddedStore(tmp.resolve("x"), randomKey()).put(TOKEN, new byte[0]))
                .hasMessageContaining("empty value");
        assertThat(Set.of()).isEmpty();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
