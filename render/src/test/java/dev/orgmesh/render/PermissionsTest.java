package dev.orgmesh.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;

class PermissionsTest {
    static final Org KOMODO = OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml"));
    static final Subjects S = KOMODO.subjects();
    static final Agent ATHENA = KOMODO.agent("cto-athena").orElseThrow();

    @Test
    void agentHearsOnlyWhatIsAddressedToIt() {
        UserPermissions p = Permissions.forAgent(KOMODO, ATHENA);

        assertThat(p.allowsSubscribe(S.inbox("cto-athena"))).isTrue();
        assertThat(p.allowsSubscribe(S.teamChannel("exec"))).isTrue();
        assertThat(p.allowsSubscribe(S.allChannel())).isTrue();
        assertThat(p.allowsSubscribe(S.taskQueue("role-cto"))).isTrue();
        assertThat(p.allowsSubscribe(S.eventsMatching("deployment"))).isTrue();
        assertThat(p.allowsSubscribe(S.event("ceo-genesis", "security.alert"))).isTrue();
        assertThat(p.allowsSubscribe(S.eventsMatching("security.>"))).isTrue();
        assertThat(p.allowsSubscribe(S.heartbeat("cto-athena"))).isTrue();
        assertThat(p.allowsSubscribe(S.askTo("cto-athena"))).isTrue();
        assertThat(p.allowsSubscribe("_INBOX.cto-athena.abc.*")).isTrue();

        assertThat(p.allowsSubscribe(S.inbox("ceo-genesis"))).isFalse();
        assertThat(p.allowsSubscribe(S.dmAll())).isFalse();
        assertThat(p.allowsSubscribe(S.teamChannel("eng"))).isFalse();
        assertThat(p.allowsSubscribe(S.taskQueue("role-backend"))).isFalse();
        assertThat(p.allowsSubscribe(S.eventsMatching("sprint.update"))).isFalse();
        assertThat(p.allowsSubscribe(S.eventsAll())).isFalse();
        assertThat(p.allowsSubscribe(S.vaultGet("cto-athena"))).isFalse();
        assertThat(p.allowsSubscribe(S.heartbeat("ceo-genesis"))).isFalse();
        assertThat(p.allowsSubscribe("_INBOX.>")).isFalse();
        assertThat(p.allowsSubscribe("_INBOX.ceo-genesis.abc")).isFalse();
        assertThat(p.allowsSubscribe("komodo-ai.>")).isFalse();
        assertThat(p.allowsSubscribe(">")).isFalse();
    }

    @Test
    void agentSpeaksOnChannelsButOnlyForItself() {
        UserPermissions p = Permissions.forAgent(KOMODO, ATHENA);
        String me = "cto-athena";

        assertThat(p.allowsPublish(S.all(me))).isTrue();
        assertThat(p.allowsPublish(S.team("exec", me))).isTrue();
        assertThat(p.allowsPublish(S.team("eng", me))).isTrue();
        assertThat(p.allowsPublish(S.dm("ceo-genesis", me))).isTrue();
        assertThat(p.allowsPublish(S.dm("board", me))).isTrue();
        assertThat(p.allowsPublish(S.tasks("role-backend", me))).isTrue();
        assertThat(p.allowsPublish(S.event(me, "deployment"))).isTrue();
        assertThat(p.allowsPublish(S.ask("devops-hermes", me))).isTrue();
        assertThat(p.allowsPublish(S.humanHold(me))).isTrue();
        assertThat(p.allowsPublish(S.dlq("inbox", me))).isTrue();
        assertThat(p.allowsPublish(S.presence(me))).isTrue();
        assertThat(p.allowsPublish(S.vaultGet(me))).isTrue();
        assertThat(p.allowsPublish(S.org("members"))).isTrue();
        assertThat(p.allowsPublish("_INBOX.ceo-genesis.xyz")).isTrue();

        // never in another member's name (ADR 0010), nor on a subject without a sender
        for (String other : new String[]{"ceo-genesis", "board", Subjects.HUB_SENDER, Subjects.OPERATOR}) {
            assertThat(p.allowsPublish(S.all(other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.team("exec", other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.dm("backend-hephaestus", other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.tasks("role-backend", other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.event(other, "deployment"))).as(other).isFalse();
            assertThat(p.allowsPublish(S.ask("devops-hermes", other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.humanHold(other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.dlq("inbox", other))).as(other).isFalse();
            assertThat(p.allowsPublish(S.humanApprove(other))).as(other).isFalse();
        }
        for (String contract : new String[]{S.all(), S.team("exec"), S.dm("ceo-genesis"), S.tasks("role-backend"),
                S.events("deployment"), S.ask("devops-hermes"), S.humanHold(), S.humanApprove(), S.dlq("inbox")}) {
            assertThat(p.allowsPublish(contract)).as(contract).isFalse();
        }
        assertThat(p.allowsPublish(S.vaultGet("ceo-genesis"))).isFalse();
        assertThat(p.allowsPublish(S.presence("ceo-genesis"))).isFalse();
        assertThat(p.allowsPublish(S.heartbeat("cto-athena"))).isFalse();
        assertThat(p.allowsPublish("rival-labs.all")).isFalse();
        assertThat(p.allowsPublish("komodo-ai.unknown-team")).isFalse();
    }

    @Test
    void agentReadsOnlyItsOwnConsumersAndManagesNothing() {
        UserPermissions p = Permissions.forAgent(KOMODO, ATHENA);
        String inbox = S.inboxStream();

        assertThat(p.allowsPublish("$JS.API.CONSUMER.MSG.NEXT." + inbox + ".dm-cto-athena")).isTrue();
        assertThat(p.allowsPublish("$JS.hub.API.CONSUMER.MSG.NEXT." + inbox + ".dm-cto-athena")).isTrue();
        assertThat(p.allowsPublish("$JS.ACK." + inbox + ".dm-cto-athena.1.2.3.1700000000.0")).isTrue();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.MSG.NEXT." + S.tasksStream() + ".tasks-role-cto")).isTrue();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.MSG.NEXT." + S.eventsStream() + "."
                + Subjects.eventsConsumer("cto-athena", "security.>"))).isTrue();
        assertThat(p.allowsPublish("$KV." + S.presenceBucket() + ".cto-athena")).isTrue();
        assertThat(p.allowsPublish("$JS.hub.API.$KV." + S.presenceBucket() + ".cto-athena")).isTrue();

        assertThat(p.allowsPublish("$JS.API.CONSUMER.MSG.NEXT." + inbox + ".dm-ceo-genesis")).isFalse();
        assertThat(p.allowsPublish("$JS.ACK." + inbox + ".dm-ceo-genesis.1.2.3.1700000000.0")).isFalse();
        assertThat(p.allowsPublish("$KV." + S.presenceBucket() + ".ceo-genesis")).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.DELETE." + inbox)).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.PURGE." + inbox)).isFalse();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.DELETE." + inbox + ".dm-cto-athena")).isFalse();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.CREATE." + inbox)).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.MSG.GET." + inbox)).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.CREATE.X")).isFalse();
    }

    @Test
    void agentReadsAndCreatesHandledKeysOnlyInItsOwnAndItsRolesScope() {
        UserPermissions p = Permissions.forAgent(KOMODO, ATHENA);
        String bucket = S.handledBucket();
        String own = "$KV." + bucket + "." + Subjects.handledKey(Subjects.handledAgentScope("cto-athena"), "m1");
        String role = "$KV." + bucket + "." + Subjects.handledKey(Subjects.handledRoleScope("role-cto"), "m1");
        for (String key : new String[]{own, role}) {
            assertThat(p.allowsPublish(key)).as(key).isTrue();
            assertThat(p.allowsPublish("$JS.hub.API." + key)).as(key).isTrue();
            assertThat(p.allowsPublish("$JS.API.DIRECT.GET.KV_" + bucket + "." + key)).as(key).isTrue();
            assertThat(p.allowsPublish("$JS.hub.API.DIRECT.GET.KV_" + bucket + "." + key)).as(key).isTrue();
        }
        assertThat(p.allowsPublish("$JS.hub.API.STREAM.INFO.KV_" + bucket)).isTrue();

        String other = "$KV." + bucket + "." + Subjects.handledKey(Subjects.handledAgentScope("ceo-genesis"), "m1");
        String otherRole = "$KV." + bucket + "." + Subjects.handledKey(Subjects.handledRoleScope("role-ceo"), "m1");
        for (String key : new String[]{other, otherRole}) {
            assertThat(p.allowsPublish(key)).as(key).isFalse();
            assertThat(p.allowsPublish("$JS.hub.API." + key)).as(key).isFalse();
            assertThat(p.allowsPublish("$JS.API.DIRECT.GET.KV_" + bucket + "." + key)).as(key).isFalse();
        }
        // no reading the whole bucket by sequence, no purge or delete of the record
        assertThat(p.allowsPublish("$JS.API.STREAM.MSG.GET.KV_" + bucket)).isFalse();
        assertThat(p.allowsPublish("$JS.API.DIRECT.GET.KV_" + bucket)).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.PURGE.KV_" + bucket)).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.MSG.DELETE.KV_" + bucket)).isFalse();
    }

    /** Issue 23: an agent reads, steps and lists escalation ladders under its own id only. */
    @Test
    void agentTouchesOnlyItsOwnEscalationKeys() {
        UserPermissions p = Permissions.forAgent(KOMODO, ATHENA);
        String bucket = S.escalationsBucket();
        String stream = "KV_" + bucket;
        String own = "$KV." + bucket + "." + Subjects.escalationKey("cto-athena", "t1");
        assertThat(p.allowsPublish(own)).isTrue();
        assertThat(p.allowsPublish("$JS.hub.API." + own)).isTrue();
        assertThat(p.allowsPublish("$JS.API.DIRECT.GET." + stream + "." + own)).isTrue();
        assertThat(p.allowsPublish("$JS.hub.API.DIRECT.GET." + stream + "." + own)).isTrue();
        assertThat(p.allowsPublish("$JS.hub.API.STREAM.INFO." + stream)).isTrue();
        assertThat(p.allowsPublish("$JS.hub.API.CONSUMER.CREATE." + stream + ".abc.$KV." + bucket + ".cto-athena.>"))
                .as("listing its own keys").isTrue();
        assertThat(p.allowsPublish("$JS.hub.API.CONSUMER.INFO." + stream + ".abc")).as("jnats reads it first").isTrue();

        String other = "$KV." + bucket + "." + Subjects.escalationKey("ceo-genesis", "t1");
        assertThat(p.allowsPublish(other)).isFalse();
        assertThat(p.allowsPublish("$JS.hub.API." + other)).isFalse();
        assertThat(p.allowsPublish("$JS.API.DIRECT.GET." + stream + "." + other)).isFalse();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.CREATE." + stream + ".abc.$KV." + bucket + ".ceo-genesis.>"))
                .isFalse();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.CREATE." + stream + ".abc.$KV." + bucket + ".>")).isFalse();
        assertThat(p.allowsPublish("$JS.API.CONSUMER.CREATE." + stream)).isFalse();
        assertThat(p.allowsPublish("$JS.API.DIRECT.GET." + stream)).isFalse();
        assertThat(p.allowsPublish("$JS.API.STREAM.PURGE." + stream)).isFalse();
    }

    /**
     * Issue 22: no agent writes a spend counter, not even its own (it could reset the counters that limit it); it asks
     * the budget desk to reserve and settle, under its own name only.
     */
    @Test
    void agentWritesNoSpendCounterAndAsksTheBudgetDeskOnlyForItself() {
        UserPermissions p = Permissions.forAgent(KOMODO, ATHENA);
        String kv = "$KV." + S.budgetsBucket() + ".";
        for (String key : new String[]{"spend.agent.cto-athena.d20260405", "spend.line.ceo-genesis.d20260405",
                "spend.team.exec.m202604", "spend.company." + S.company() + ".d20260405", "limit.agent.cto-athena",
                "reservation.cto-athena.X"}) {
            assertThat(p.allowsPublish(kv + key)).as(key).isFalse();
            assertThat(p.allowsPublish("$JS.hub.API." + kv + key)).as(key).isFalse();
        }
        assertThat(p.allowsPublish(S.budgetReserve("cto-athena"))).isTrue();
        assertThat(p.allowsPublish(S.budgetSettle("cto-athena"))).isTrue();
        assertThat(p.allowsPublish(S.budgetReserve("ceo-genesis"))).isFalse();
        assertThat(p.allowsPublish(S.budgetSettle("backend-hephaestus"))).isFalse();
        UserPermissions hub = Permissions.forService(KOMODO, HubService.HUB_BOOTSTRAP);
        assertThat(hub.allowsSubscribe(S.budgetReserve(Subjects.ANY))).isTrue();
        assertThat(hub.allowsPublish(kv + "spend.agent.cto-athena.d20260405")).isTrue();
    }

    @Test
    void humansOverseeButCannotFetchSecrets() {
        Human board = KOMODO.humans().getFirst();
        UserPermissions p = Permissions.forHuman(KOMODO, board);

        assertThat(p.allowsSubscribe(S.inbox("board"))).isTrue();
        assertThat(p.allowsSubscribe(S.teamChannel("eng"))).isTrue();
        assertThat(p.allowsSubscribe(S.eventsAll())).isTrue();
        assertThat(p.allowsPublish(S.team("exec", "board"))).isTrue();
        assertThat(p.allowsPublish(S.team("exec", "ceo-genesis"))).isFalse();
        // decisions under its own name only: the desk takes the decider from the subject
        assertThat(p.allowsPublish(S.humanApprove("board"))).isTrue();
        assertThat(p.allowsPublish(S.humanDeny("board"))).isTrue();
        assertThat(p.allowsPublish(S.humanApprove("someone-else"))).isFalse();
        assertThat(p.allowsPublish(S.humanApprove())).isFalse();
        assertThat(p.allowsSubscribe(S.inbox("ceo-genesis"))).isFalse();
        assertThat(p.allowsPublish(S.vaultGet("cto-athena"))).isFalse();
    }

    @Test
    void servicesGetTheirJobOnly() {
        UserPermissions vault = Permissions.forService(KOMODO, HubService.VAULT_BRIDGE);
        assertThat(vault.allowsSubscribe("komodo-ai.vault.*.get")).isTrue();
        assertThat(vault.allowsSubscribe(S.dmAll())).isFalse();
        assertThat(vault.allowsPublish(S.event(Subjects.VAULT_SENDER, "secret.rotated"))).isTrue();
        assertThat(vault.allowsPublish(S.event("cto-athena", "secret.rotated"))).isFalse();

        UserPermissions heartbeat = Permissions.forService(KOMODO, HubService.HEARTBEAT);
        assertThat(heartbeat.allowsPublish(S.heartbeat("cto-athena"))).isTrue();
        assertThat(heartbeat.allowsPublish("$JS.API.STREAM.INFO.KV_" + S.presenceBucket())).isTrue();
        assertThat(heartbeat.allowsPublish(S.vaultGet("cto-athena"))).isFalse();
        assertThat(heartbeat.allowsPublish("$JS.API.STREAM.DELETE." + S.inboxStream())).isFalse();

        UserPermissions directory = Permissions.forService(KOMODO, HubService.HUB_BOOTSTRAP);
        assertThat(directory.allowsSubscribe(S.orgAll())).isTrue();
        assertThat(directory.allowsSubscribe("$SRV.>")).isTrue();
        assertThat(directory.allowsPublish("$JS.API.STREAM.CREATE." + S.inboxStream())).isTrue();
        assertThat(directory.allowsPublish(S.vaultGet("cto-athena"))).isFalse();

        assertThat(Permissions.forService(KOMODO, HubService.OPERATOR).isUnrestricted()).isTrue();
    }

    @Test
    void subjectPatternsFollowNatsRules() {
        assertThat(SubjectPattern.matches("a.*.c", "a.b.c")).isTrue();
        assertThat(SubjectPattern.matches("a.>", "a.b.c")).isTrue();
        assertThat(SubjectPattern.matches("a.>", "a")).isFalse();
        assertThat(SubjectPattern.matches("a.*", "a.b.c")).isFalse();
        assertThat(SubjectPattern.isSubset("a.*", "a.>")).isTrue();
        assertThat(SubjectPattern.isSubset("a.>", "a.*")).isFalse();
        assertThat(SubjectPattern.isSubset("a.b", "a.*")).isTrue();
        assertThat(SubjectPattern.overlaps("a.*", "a.b")).isTrue();
        assertThat(SubjectPattern.overlaps("a.b", "a.c")).isFalse();
        assertThat(SubjectPattern.overlaps(">", "x.y")).isTrue();
    }
}
