package dev.orgmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.vault.store.EmbeddedStore;
import dev.orgmesh.vault.store.MasterKey;
import dev.orgmesh.vault.store.SecretPath;

import picocli.CommandLine;

class SecretsCommandTest {
    @TempDir
    Path dir;
    String key;
    Path store;

    record Run(int status, String out, String err) {
    }

    @BeforeEach
    void setUp() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        key = Base64.getEncoder().encodeToString(raw);
        store = dir.resolve("vault.store");
        SecretsCommand.env = () -> Map.of(MasterKey.ENV, key);
    }

    @AfterEach
    void restore() {
        SecretsCommand.env = System::getenv;
        SecretsCommand.stdin = () -> System.in;
    }

    Run run(String stdin, String... args) {
        SecretsCommand.stdin = () -> new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        CommandLine cl = new CommandLine(new SecretsCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void putReadsTheValueFromStdinAndLsNeverShowsIt() throws Exception {
        Run put = run("ghp_cli-value-123\n", "put", "company/GITHUB_TOKEN", "--store", store.toString());
        assertThat(put.status()).as(put.err()).isZero();
        assertThat(put.out()).contains("stored company/GITHUB_TOKEN version 1 (17 bytes)")
                .doesNotContain("ghp_cli-value-123");
        Run again = run("ghp_cli-value-456", "put", "company/GITHUB_TOKEN", "--store", store.toString());
        assertThat(again.out()).contains("version 2");
        run("own", "put", "agents/cto-athena/GITHUB_TOKEN", "--store", store.toString());

        Run ls = run("", "ls", "--store", store.toString());
        assertThat(ls.status()).isZero();
        assertThat(ls.out()).contains("company/GITHUB_TOKEN").contains("agents/cto-athena/GITHUB_TOKEN")
                .contains("2 secrets").doesNotContain("ghp_");
        assertThat(Files.readString(store)).doesNotContain("ghp_cli-value");

        var value = new EmbeddedStore(store, MasterKey.fromBase64(key)).read(SecretPath.company("GITHUB_TOKEN"))
                .orElseThrow();
        assertThat(new String(value.value(), StandardCharsets.UTF_8)).isEqualTo("ghp_cli-value-456");

        assertThat(run("", "rm", "company/GITHUB_TOKEN", "--store", store.toString()).out())
                .contains("removed company/GITHUB_TOKEN");
        Run missing = run("", "rm", "company/GITHUB_TOKEN", "--store", store.toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("no secret company/GITHUB_TOKEN").contains("OM-6001");
    }

    @Test
    void thereIsNoWayToPassAValueAsAnArgumentAndMistakesAreClear() {
        Run extra = run("x", "put", "company/A", "the-value", "--store", store.toString());
        assertThat(extra.status()).isEqualTo(2);
        assertThat(extra.err()).contains("Unmatched argument");

        Run empty = run("\n", "put", "company/A", "--store", store.toString());
        assertThat(empty.status()).isEqualTo(2);
        assertThat(empty.err()).contains("no value on standard input");

        Run badPath = run("v", "put", "GITHUB_TOKEN", "--store", store.toString());
        assertThat(badPath.status()).isEqualTo(1);
        assertThat(badPath.err()).contains("use company/NAME or agents/<agent-id>/NAME");

        SecretsCommand.env = Map::of;
        Run noKey = run("v", "put", "company/A", "--store", store.toString());
        assertThat(noKey.status()).isEqualTo(1);
        assertThat(noKey.err()).contains("ORGMESH_VAULT_MASTER_KEY is not set");
    }
}
