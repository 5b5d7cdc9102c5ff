package dev.orgmesh.vault.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.vault.store.SecretPath;

class SecretPolicyTest {
    final SecretPolicy policy = SecretPolicy.of(OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml")));

    @Test
    void anAgentReadsOnlyWhatItsEntryLists() {
        policy.check("cto-athena", List.of("GITHUB_TOKEN"));
        assertThatThrownBy(() -> policy.check("cto-athena", List.of("GITHUB_TOKEN", "FLY_API_TOKEN")))
                .isInstanceOf(OrgmeshException.class)
                .hasMessage("cto-athena may not read FLY_API_TOKEN: its org entry lists GITHUB_TOKEN")
                .extracting(e -> ((OrgmeshException) e).code()).isEqualTo(ErrorCode.VAULT_DENIED);
        assertThatThrownBy(() -> policy.check("security-argus", List.of("GITHUB_TOKEN")))
                .hasMessageContaining("lists no secrets");
        assertThatThrownBy(() -> policy.check("board", List.of("GITHUB_TOKEN")))
                .hasMessageContaining("not an agent of komodo-ai");
    }

    @Test
    void theAgentsOwnValueComesBeforeTheCompanys() {
        assertThat(SecretPolicy.candidates("cto-athena", "GITHUB_TOKEN")).extracting(SecretPath::toString)
                .containsExactly("agents/cto-athena/GITHUB_TOKEN", "company/GITHUB_TOKEN");
    }

    @Test
    void readersOfAPath() {
        assertThat(policy.readers(SecretPath.company("GITHUB_TOKEN")))
                .containsExactly("cto-athena", "backend-hephaestus");
        assertThat(policy.readers(SecretPath.agent("cto-athena", "GITHUB_TOKEN"))).containsExactly("cto-athena");
        assertThat(policy.readers(SecretPath.agent("cto-athena", "FLY_API_TOKEN"))).isEmpty();
        assertThat(policy.readablePaths()).extracting(SecretPath::toString).contains("company/FLY_API_TOKEN",
                "agents/devops-hermes/FLY_API_TOKEN").doesNotContain("agents/cto-athena/FLY_API_TOKEN");
    }

    @Test
    void pathsParseAndRefuseAnythingElse() {
        assertThat(SecretPath.parse("company/GITHUB_TOKEN")).isEqualTo(SecretPath.company("GITHUB_TOKEN"));
        assertThat(SecretPath.parse("agents/cto-athena/X")).isEqualTo(SecretPath.agent("cto-athena", "X"));
        for (String bad : List.of("GITHUB_TOKEN", "company/", "company/a/b", "agents/x", "agents/Bad/X",
                "team/eng/X", "company/../x", "agents/cto-athena/NOT-A-NAME")) {
            assertThatThrownBy(() -> SecretPath.parse(bad)).as(bad).isInstanceOf(OrgmeshException.class);
        }
    }
}
