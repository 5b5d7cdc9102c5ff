package dev.orgmesh.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SubjectsTest {
    private final Subjects s = Subjects.of("komodo-ai");

    @Test
    void yieldsTheSeedSubjects() {
        assertThat(s.all()).isEqualTo("komodo-ai.all");
        assertThat(s.team("exec")).isEqualTo("komodo-ai.exec");
        assertThat(s.dm("ceo-genesis")).isEqualTo("komodo-ai.dm.ceo-genesis");
    }

    @Test
    void everySubjectClassOfTheDesign() {
        assertThat(s.tasks("role-backend")).isEqualTo("komodo-ai.tasks.role-backend");
        assertThat(s.events("security.alert")).isEqualTo("komodo-ai.events.security.alert");
        assertThat(s.ask("devops-hermes")).isEqualTo("komodo-ai.ask.devops-hermes");
        assertThat(s.heartbeat("cto-athena")).isEqualTo("komodo-ai.heartbeat.cto-athena");
        assertThat(s.presence("cto-athena")).isEqualTo("komodo-ai.presence.cto-athena");
        assertThat(s.vaultGet("cto-athena")).isEqualTo("komodo-ai.vault.cto-athena.get");
        assertThat(s.org("member")).isEqualTo("komodo-ai.org.member");
        assertThat(s.dlq("inbox")).isEqualTo("komodo-ai.dlq.inbox");
    }

    @Test
    void jetStreamNamesAreValidAndCompanyScoped() {
        assertThat(s.inboxStream()).isEqualTo("OM_KOMODO_AI_INBOX");
        assertThat(s.presenceBucket()).matches("[A-Za-z0-9_-]+");
        assertThat(Subjects.eventsConsumer("cto-athena", "security.>")).isEqualTo("ev-cto-athena-security-gt");
        assertThat(Subjects.of("other").inboxStream()).isNotEqualTo(s.inboxStream());
    }

    @Test
    void handledKeysAreScopedAndAlwaysValidKvKeys() {
        assertThat(s.handledBucket()).isEqualTo("OM_KOMODO_AI_HANDLED");
        assertThat(Subjects.handledKey(Subjects.handledRoleScope("role-backend"), "01JB2Z3Y4X5W6V7T8S9R0Q1P2N"))
                .isEqualTo("role.role-backend.01JB2Z3Y4X5W6V7T8S9R0Q1P2N");
        assertThat(Subjects.handledKey(Subjects.handledAgentScope("cto-athena"), "s-OM_KOMODO_AI_CHANNELS-12"))
                .isEqualTo("agent.cto-athena.s-OM_KOMODO_AI_CHANNELS-12");
        // ids that are not safe key tokens (dots, spaces, wildcards, other letters, too long) are hashed: one token
        String kv = "[-/_=.a-zA-Z0-9]+";
        for (String id : new String[]{"task.1", "a b", "*", ">", "été", "x".repeat(129), "..", "=abc"}) {
            String key = Subjects.handledKey("agent.dev1", id);
            assertThat(key).as(id).matches("agent\\.dev1\\.=[A-Za-z0-9_-]{43}").matches(kv);
            assertThat(Subjects.handledKey("agent.dev1", id)).as("stable").isEqualTo(key);
        }
        assertThat(Subjects.handledKey("agent.dev1", "task.1"))
                .isNotEqualTo(Subjects.handledKey("agent.dev1", "task.2"));
        assertThat(Subjects.handledKey("agent.dev1", "x".repeat(128))).isEqualTo("agent.dev1." + "x".repeat(128));
        assertThatThrownBy(() -> Subjects.handledAgentScope("a.b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unsafeTokensAreRefused() {
        assertThatThrownBy(() -> s.dm("ceo.genesis")).hasMessageContaining("ceo.genesis");
        assertThatThrownBy(() -> s.dm("*")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.team("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Subjects.of("Komodo")).isInstanceOf(IllegalArgumentException.class);
    }
}
