package dev.orgmesh.evidence.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.evidence.RenderedHub;
import dev.orgmesh.evidence.security.SecurityMatrix.Cell;
import dev.orgmesh.evidence.security.SecurityMatrix.Kind;
import dev.orgmesh.evidence.security.SecurityMatrix.Member;
import dev.orgmesh.evidence.security.SecurityMatrix.Op;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.HubService;
import dev.orgmesh.render.NatsUser;
import dev.orgmesh.render.Permissions;
import dev.orgmesh.render.RenderOptions;
import dev.orgmesh.render.RenderResult;
import dev.orgmesh.render.SubjectPattern;
import dev.orgmesh.render.UserPermissions;

/**
 * The security matrix over the permission sets hub-bootstrap renders into {@code hub.conf} for the seed's org
 * (fast, no server): every cell of {@link SecurityMatrix} allows exactly what the table says, with nats-server's
 * matching rules ({@link UserPermissions#allowsPublish}, {@link UserPermissions#allowsSubscribe}); both users of an
 * agent (NKey and leaf) carry the same set; and every entry of an agent's or human's allow lists is accounted for
 * by the rules of docs/architecture.md, "Who may hear and say what" (nothing else is granted). Writes
 * {@code target/security-matrix-permissions.txt}.
 */
class SecurityMatrixTest {
    static final Org ORG = OrgLoader.load(RenderedHub.KOMODO_FILE);
    static final Subjects S = ORG.subjects();

    @TempDir
    static Path tmp;
    static RenderResult rendered;

    @BeforeAll
    static void render() {
        rendered = new HubRenderer().render(ORG, RenderOptions.defaults().withStoreDir(tmp.resolve("js")),
                tmp.resolve("out"));
    }

    @Test
    void everyCellOfTheRenderedPermissionsIsAsDesigned() {
        List<Cell> cells = SecurityMatrix.cells(ORG);
        Map<Cell, Boolean> observed = new LinkedHashMap<>();
        List<String> mismatches = new ArrayList<>();
        for (Cell c : cells) {
            UserPermissions p = permissions(c.member());
            boolean allowed = c.op() == Op.SUB ? p.allowsSubscribe(c.subject()) : p.allowsPublish(c.subject());
            observed.put(c, allowed);
            if (allowed != c.expected()) {
                mismatches.add(c + " but the rendered permissions " + (allowed ? "allow" : "deny") + " it");
            }
        }
        MatrixReport.write("target/security-matrix-permissions.txt",
                "security matrix over the rendered permission sets of examples/komodo-ai.yaml", cells, observed,
                List.of("agents " + MatrixReport.count(cells, Kind.AGENT) + " cells, humans "
                        + MatrixReport.count(cells, Kind.HUMAN) + ", operator "
                        + MatrixReport.count(cells, Kind.OPERATOR)));
        assertThat(mismatches).isEmpty();
        assertThat(cells).hasSizeGreaterThan(500);
        // every row of the table that applies to a kind is exercised
        SecurityMatrix.EXPECTED.forEach((cls, row) -> row.keySet().forEach(kind -> assertThat(cells)
                .as("a cell for '%s' and %s", cls, kind)
                .anyMatch(c -> c.cls().equals(cls) && c.member().kind() == kind)));
    }

    @Test
    void bothUsersOfAnAgentCarryTheSamePermissions() {
        for (Agent a : ORG.agents()) {
            List<NatsUser> users = rendered.users().stream()
                    .filter(u -> u.kind() == NatsUser.Kind.AGENT && u.id().equals(a.id())).toList();
            assertThat(users).extracting(NatsUser::auth)
                    .containsExactlyInAnyOrder(NatsUser.Auth.NKEY, NatsUser.Auth.LEAF_PASSWORD);
            assertThat(users.get(0).permissions()).isEqualTo(users.get(1).permissions());
        }
    }

    /** Each allow entry of an agent lies inside something docs/architecture.md (or the docs it points to) grants. */
    @Test
    void anAgentIsGrantedNothingElse() {
        for (Agent a : ORG.agents()) {
            UserPermissions p = permissions(new Member(a.id(), Kind.AGENT, a));
            List<String> subGrounds = new ArrayList<>(List.of(S.inbox(a.id()), S.teamChannel(a.team()),
                    S.allChannel(), S.taskQueue(a.role()), S.heartbeat(a.id()), S.askTo(a.id()),
                    Permissions.inboxPrefix(a.id()) + ".>"));
            a.events().forEach(e -> subGrounds.add(S.eventsMatching(e)));
            if (!a.secrets().isEmpty()) {
                // rotation: the vault bridge announces secret.rotated and agents refetch (its notices only)
                subGrounds.add(S.event(Subjects.VAULT_SENDER, "secret.rotated"));
            }
            assertThat(unaccounted(p.subscribeAllow(), subGrounds)).as("%s subscribe", a.id()).isEmpty();

            // speaking only as itself (ADR 0010): its own id in every sender token
            String me = a.id();
            List<String> pubGrounds = new ArrayList<>(List.of(S.all(me), S.company() + ".*." + me,
                    S.dm(Subjects.ANY, me), S.tasks(Subjects.ANY, me), S.event(me, ">"), S.ask(Subjects.ANY, me),
                    S.vaultGet(me), S.orgAll(), S.dlq(Subjects.ANY, me), "_INBOX.>", S.humanHold(me)));
            for (String api : List.of("$JS.API.", "$JS.hub.API.")) {
                pubGrounds.add(api + "INFO");
                Permissions.consumersOf(ORG, a).forEach(r -> {
                    pubGrounds.add(api + "STREAM.INFO." + r.stream());
                    pubGrounds.add(api + "CONSUMER.MSG.NEXT." + r.stream() + "." + r.consumer());
                    pubGrounds.add(api + "CONSUMER.INFO." + r.stream() + "." + r.consumer());
                });
                // presence: its own key only
                pubGrounds.add(api + "STREAM.INFO.KV_" + S.presenceBucket());
                // approval records: read (docs/oversight.md)
                for (String bucket : List.of(S.approvalsBucket())) {
                    pubGrounds.add(api + "STREAM.INFO.KV_" + bucket);
                    pubGrounds.add(api + "STREAM.MSG.GET.KV_" + bucket);
                    pubGrounds.add(api + "DIRECT.GET.KV_" + bucket);
                    pubGrounds.add(api + "DIRECT.GET.KV_" + bucket + ".>");
                }
                // the handled record (docs/reliability.md): open the bucket, read keys of its own scopes
                pubGrounds.add(api + "STREAM.INFO.KV_" + S.handledBucket());
                for (String scope : List.of(Subjects.handledAgentScope(a.id()), Subjects.handledRoleScope(a.role()))) {
                    pubGrounds.add(api + "DIRECT.GET.KV_" + S.handledBucket() + ".$KV." + S.handledBucket() + "."
                            + scope + ".>");
                }
                // the escalations bucket (issue 23): open it, read its own keys, list them on start
                String ladders = "KV_" + S.escalationsBucket();
                String ownLadders = "$KV." + S.escalationsBucket() + "." + a.id() + ".>";
                pubGrounds.add(api + "STREAM.INFO." + ladders);
                pubGrounds.add(api + "DIRECT.GET." + ladders + "." + ownLadders);
                pubGrounds.add(api + "CONSUMER.CREATE." + ladders + ".*." + ownLadders);
                pubGrounds.add(api + "CONSUMER.INFO." + ladders + ".*");
                // artifacts: the company's object store, put and get (agent-runtime's ArtifactStage)
                String obj = "OBJ_" + S.artifactBucket();
                for (String op : List.of("STREAM.INFO.", "STREAM.MSG.GET.", "DIRECT.GET.", "CONSUMER.CREATE.",
                        "STREAM.PURGE.")) {
                    pubGrounds.add(api + op + obj);
                }
                for (String op : List.of("DIRECT.GET.", "CONSUMER.CREATE.", "CONSUMER.DELETE.", "CONSUMER.INFO.")) {
                    pubGrounds.add(api + op + obj + ".>");
                }
            }
            pubGrounds.add(S.presence(a.id()));
            pubGrounds.add("$KV." + S.presenceBucket() + "." + a.id());
            pubGrounds.add("$JS.hub.API.$KV." + S.presenceBucket() + "." + a.id());
            // budget: asks the desk, under its own name; it writes no counter (issue 22)
            pubGrounds.add(S.budgetReserve(me));
            pubGrounds.add(S.budgetSettle(me));
            for (String scope : List.of(Subjects.handledAgentScope(a.id()), Subjects.handledRoleScope(a.role()))) {
                pubGrounds.add("$KV." + S.handledBucket() + "." + scope + ".>");
                pubGrounds.add("$JS.hub.API.$KV." + S.handledBucket() + "." + scope + ".>");
            }
            pubGrounds.add("$KV." + S.escalationsBucket() + "." + a.id() + ".>");
            pubGrounds.add("$JS.hub.API.$KV." + S.escalationsBucket() + "." + a.id() + ".>");
            pubGrounds.add("$O." + S.artifactBucket() + ".>");
            pubGrounds.add("$JS.hub.API.$O." + S.artifactBucket() + ".>");
            pubGrounds.add("$JS.FC.>");
            Permissions.consumersOf(ORG, a).forEach(r -> {
                pubGrounds.add("$JS.ACK." + r.stream() + "." + r.consumer() + ".>");
                pubGrounds.add("$JS.ACK.*.*." + r.stream() + "." + r.consumer() + ".>");
            });
            assertThat(unaccounted(p.publishAllow(), pubGrounds)).as("%s publish", a.id()).isEmpty();
            // and no JetStream management beyond that: a sample of what would be dangerous
            for (String stream : List.of(S.auditStream(), S.inboxStream(), S.channelsStream(), S.dlqStream())) {
                assertThat(p.allowsPublish("$JS.API.STREAM.DELETE." + stream)).isFalse();
                assertThat(p.allowsPublish("$JS.API.STREAM.PURGE." + stream)).isFalse();
                assertThat(p.allowsPublish("$JS.API.STREAM.UPDATE." + stream)).isFalse();
                assertThat(p.allowsPublish("$JS.API.STREAM.MSG.DELETE." + stream)).isFalse();
                assertThat(p.allowsPublish("$JS.API.STREAM.MSG.GET." + stream)).isFalse();
            }
            assertThat(p.allowsPublish("$KV." + S.approvalsBucket() + ".any")).isFalse();
            assertThat(p.allowsPublish("$KV." + S.budgetsBucket() + ".limit.tokens")).isFalse();
            for (Org.SpendScope scope : ORG.spendScopes(a.id())) {
                String key = "$KV." + S.budgetsBucket() + "." + Subjects.spendScope(scope.kind(), scope.id()) + ".d1";
                assertThat(p.allowsPublish(key)).as(key).isFalse();
            }
            assertThat(p.allowsPublish("$JS.API.STREAM.MSG.GET.KV_" + S.handledBucket())).isFalse();
            assertThat(p.allowsPublish("$JS.API.STREAM.PURGE.KV_" + S.handledBucket())).isFalse();
        }
    }

    /** A human oversees (channels, events, dead letters, its DM) and decides on held messages; nothing else. */
    @Test
    void aHumanIsGrantedNothingElse() {
        for (var h : ORG.humans()) {
            UserPermissions p = permissions(new Member(h.id(), Kind.HUMAN, null));
            List<String> subGrounds = new ArrayList<>(List.of(S.inbox(h.id()), S.allChannel(), S.eventsAll(),
                    S.dlqAll(),
                    Permissions.inboxPrefix(h.id()) + ".>"));
            ORG.teams().keySet().forEach(t -> subGrounds.add(S.teamChannel(t)));
            assertThat(unaccounted(p.subscribeAllow(), subGrounds)).as("%s subscribe", h.id()).isEmpty();

            String me = h.id();
            List<String> pubGrounds = new ArrayList<>(List.of(S.all(me), S.company() + ".*." + me,
                    S.dm(Subjects.ANY, me), S.tasks(Subjects.ANY, me), S.event(me, ">"), S.ask(Subjects.ANY, me),
                    S.orgAll(), "_INBOX.>", S.humanApprove(me), S.humanDeny(me), S.humanBudget(me)));
            String consumer = S.inboxStream() + "." + Subjects.inboxConsumer(h.id());
            for (String api : List.of("$JS.API.", "$JS.hub.API.")) {
                pubGrounds.addAll(List.of(api + "INFO", api + "STREAM.INFO." + S.inboxStream(),
                        api + "CONSUMER.MSG.NEXT." + consumer, api + "CONSUMER.INFO." + consumer));
                for (String bucket : List.of(S.approvalsBucket(), S.budgetsBucket())) {
                    pubGrounds.addAll(List.of(api + "STREAM.INFO.KV_" + bucket, api + "STREAM.MSG.GET.KV_" + bucket,
                            api + "DIRECT.GET.KV_" + bucket, api + "DIRECT.GET.KV_" + bucket + ".>"));
                }
            }
            pubGrounds.addAll(List.of("$JS.ACK." + consumer + ".>", "$JS.ACK.*.*." + consumer + ".>"));
            assertThat(unaccounted(p.publishAllow(), pubGrounds)).as("%s publish", h.id()).isEmpty();
        }
        assertThat(permissions(new Member("operator", Kind.OPERATOR, null)).isUnrestricted()).isTrue();
    }

    /** Entries of {@code allow} that no ground covers (with nats-server's subset rule). */
    static List<String> unaccounted(List<String> allow, List<String> grounds) {
        assertThat(allow).as("an allow list (not unrestricted)").isNotNull();
        Set<String> g = Set.copyOf(grounds);
        return allow.stream().filter(e -> g.stream().noneMatch(x -> SubjectPattern.isSubset(e, x)))
                .collect(Collectors.toList());
    }

    /** The permissions the rendered hub gives {@code m}'s NKey user. */
    static UserPermissions permissions(Member m) {
        if (m.kind() == Kind.OPERATOR) {
            return rendered.users().stream().filter(u -> u.kind() == NatsUser.Kind.SERVICE
                    && u.id().equals(HubService.OPERATOR.id())).findFirst().orElseThrow().permissions();
        }
        NatsUser.Kind kind = m.kind() == Kind.AGENT ? NatsUser.Kind.AGENT : NatsUser.Kind.HUMAN;
        return rendered.users().stream().filter(u -> u.kind() == kind && u.id().equals(m.id())
                && u.auth() == NatsUser.Auth.NKEY).findFirst().orElseThrow().permissions();
    }
}
