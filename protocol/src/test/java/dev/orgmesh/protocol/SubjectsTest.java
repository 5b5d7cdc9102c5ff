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
    void unsafeTokensAreRefused() {
        assertThatThrownBy(() -> s.dm("ceo.genesis")).hasMessageContaining("ceo.genesis");
        assertThatThrownBy(() -> s.dm("*")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.team("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Subjects.of("Komodo")).isInstanceOf(IllegalArgumentException.class);
    }
}
