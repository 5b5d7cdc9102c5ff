package dev.orgmesh.evidence.security;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.render.Permissions;

/**
 * The security matrix: for every member of the org (each agent, each human, the company's operator) and every class
 * of subject, whether that member may subscribe or publish there. The expectations are written down here, as a table
 * ({@link #EXPECTED}), from the rules in docs/architecture.md ("Who may hear and say what"), not derived from
 * {@code Permissions}: the tests compare the rendered permissions and a real hub against this table.
 *
 * <p>An agent may subscribe to its own DM, its team, {co}.all, its role's tasks and its chosen events, and publish to
 * channels, DMs, tasks, events, its own presence key and its own vault subject — nothing else, but for what
 * request/reply needs: its own heartbeat and ask subject (subscribe), asks, the directory and its private reply inbox;
 * dead letters (the runtime dead-letters malformed input); and the handled record (docs/reliability.md), where an agent
 * creates and reads keys of its own scope and its role's only. Humans oversee: every channel and event, the dead
 * letters, their own DM, no secrets and no task queues; they decide on held messages. The operator administers the
 * account without restriction; the audit stream itself refuses purge (deny_purge). The KV buckets that a service owns
 * (the vault bridge's nonces, the approval records, the stored org) no member may write.
 */
public final class SecurityMatrix {
    /** Who a member is. */
    public enum Kind {
        AGENT, HUMAN, OPERATOR
    }

    /** Subscribe or publish. */
    public enum Op {
        SUB, PUB
    }

    /** A member of the matrix; {@code agent} is set for agents. */
    public record Member(String id, Kind kind, Agent agent) {
        @Override
        public String toString() {
            return id + " (" + kind.name().toLowerCase() + ")";
        }
    }

    /**
     * One cell: a member, an operation on a subject, the class of that subject for this member, what is expected,
     * and for a subscription the concrete subject a probe is published to.
     */
    public record Cell(Member member, Op op, String subject, String probe, String cls, boolean expected) {
        @Override
        public String toString() {
            return member + " " + op + " " + subject + " [" + cls + "] expected " + (expected ? "allow" : "deny");
        }
    }

    /**
     * Expected allow (Y) or deny (N) per subject class and member kind; "-" where the class does not exist for that
     * kind (a human has no own team; the operator owns nothing).
     */
    public static final String TABLE = """
            class                               agent human operator
            sub own DM                          Y     Y     -
            sub other's DM                      N     N     Y
            sub own team                        Y     -     -
            sub other team                      N     Y     Y
            sub {co}.all                        Y     Y     Y
            sub own role tasks                  Y     -     -
            sub other role tasks                N     N     Y
            sub chosen events                   Y     -     -
            sub unchosen events                 N     Y     Y
            sub every event (event.>)           N     Y     Y
            sub own heartbeat                   Y     -     -
            sub other's heartbeat               N     N     Y
            sub own ask                         Y     -     -
            sub other's ask                     N     N     Y
            sub a vault subject                 N     N     Y
            sub the directory                   N     N     Y
            sub dlq                             N     Y     Y
            sub holds                           N     N     Y
            sub approval decisions              N     N     Y
            sub service discovery ($SRV.>)      N     N     Y
            sub own reply inbox                 Y     Y     -
            sub other's reply inbox             N     N     Y
            pub {co}.all as itself              Y     Y     Y
            pub {co}.all as another             N     N     Y
            pub a team channel as itself        Y     Y     Y
            pub a team channel as another       N     N     Y
            pub a DM as itself                  Y     Y     Y
            pub a DM as another                 N     N     Y
            pub role tasks as itself            Y     Y     Y
            pub role tasks as another           N     N     Y
            pub an event as itself              Y     Y     Y
            pub an event as another             N     N     Y
            pub an ask as itself                Y     Y     Y
            pub an ask as another               N     N     Y
            pub a contract subject, no sender   N     N     Y
            pub a hold as itself                Y     N     Y
            pub a hold as another               N     N     Y
            pub a heartbeat tick                N     N     Y
            pub own presence key                Y     -     -
            pub other's presence key            N     N     Y
            pub own vault subject               Y     -     -
            pub other's vault subject           N     N     Y
            pub own handled record              Y     -     -
            pub own role's handled record       Y     -     -
            pub other's handled record          N     N     Y
            pub other role's handled record     N     N     Y
            read own handled record             Y     -     -
            read own role's handled record      Y     -     -
            read other's handled record         N     N     Y
            read other role's handled record    N     N     Y
            pub own escalation ladder           Y     -     -
            pub other's escalation ladder       N     N     Y
            read own escalation ladder          Y     -     -
            read other's escalation ladder      N     N     Y
            pub a directory request             Y     Y     Y
            pub service discovery ($SRV.PING)   N     N     Y
            pub dlq as itself                   Y     N     Y
            pub dlq as another                  N     N     Y
            pub an approval decision as itself  N     Y     Y
            pub an approval decision as another N     N     Y
            pub a budget change as itself       N     Y     Y
            pub a budget change as another      N     N     Y
            pub own spend counter               N     -     -
            pub a spend counter                 N     N     Y
            pub a budget reservation as itself  Y     -     -
            pub a budget reservation as another N     N     Y
            pub the nonce ledger                N     N     Y
            pub an approval record              N     N     Y
            pub the org document                N     N     Y
            pub audit purge                     N     N     Y
            pub audit delete                    N     N     Y
            """;

    /** {@link #TABLE} parsed: class → kind → expected (absent for "-"). */
    public static final Map<String, Map<Kind, Boolean>> EXPECTED = parse(TABLE);

    private SecurityMatrix() {
    }

    /** The members of the matrix: every agent and human of the org, and the operator. */
    public static List<Member> members(Org org) {
        List<Member> out = new ArrayList<>();
        org.agents().forEach(a -> out.add(new Member(a.id(), Kind.AGENT, a)));
        org.humans().forEach(h -> out.add(new Member(h.id(), Kind.HUMAN, null)));
        out.add(new Member("operator", Kind.OPERATOR, null));
        return out;
    }

    /** Every cell of the org: each member against each concrete subject of each class. */
    public static List<Cell> cells(Org org) {
        List<Cell> out = new ArrayList<>();
        for (Member m : members(org)) {
            out.addAll(cells(org, m));
        }
        // an event an agent follows by name is also one of its patterns: keep one cell for it
        return List.copyOf(new java.util.LinkedHashSet<>(out));
    }

    static List<Cell> cells(Org org, Member m) {
        Subjects s = org.subjects();
        List<Cell> out = new ArrayList<>();
        Agent a = m.agent();
        List<String> memberIds = org.members().stream().map(x -> x.id()).toList();
        List<String> agentIds = org.agents().stream().map(Agent::id).toList();

        // as itself: the member's own id in the sender token (ADR 0010); as another: some other member's
        String me = m.id();
        String other = memberIds.stream().filter(x -> !x.equals(me)).findFirst().orElseThrow();
        for (String id : memberIds) {
            sub(out, m, s.inbox(id), s.dm(id, other), id.equals(me) ? "sub own DM" : "sub other's DM");
            sub(out, m, Permissions.inboxPrefix(id) + ".>", Permissions.inboxPrefix(id) + ".probe",
                    id.equals(me) ? "sub own reply inbox" : "sub other's reply inbox");
            pub(out, m, s.dm(id, me), "pub a DM as itself");
            pub(out, m, s.dm(id, other), "pub a DM as another");
            pub(out, m, s.dm(id), "pub a contract subject, no sender");
        }
        for (String team : org.teams().keySet()) {
            sub(out, m, s.teamChannel(team), s.team(team, other),
                    a != null && a.team().equals(team) ? "sub own team" : "sub other team");
            pub(out, m, s.team(team, me), "pub a team channel as itself");
            pub(out, m, s.team(team, other), "pub a team channel as another");
            pub(out, m, s.team(team), "pub a contract subject, no sender");
        }
        sub(out, m, s.allChannel(), s.all(other), "sub {co}.all");
        pub(out, m, s.all(me), "pub {co}.all as itself");
        pub(out, m, s.all(other), "pub {co}.all as another");
        pub(out, m, s.all(), "pub a contract subject, no sender");
        for (String role : org.roles()) {
            sub(out, m, s.taskQueue(role), s.tasks(role, other),
                    a != null && a.role().equals(role) ? "sub own role tasks" : "sub other role tasks");
            pub(out, m, s.tasks(role, me), "pub role tasks as itself");
            pub(out, m, s.tasks(role, other), "pub role tasks as another");
            pub(out, m, s.tasks(role), "pub a contract subject, no sender");
        }
        // secret.rotated is left out: agents with secrets hear the vault bridge's notices whatever events they chose
        for (String type : List.of("deployment", "security.alert", "agent.down", "agent.up", "sprint.update")) {
            sub(out, m, s.eventsMatching(type), s.event(other, type),
                    a != null && follows(a, type) ? "sub chosen events" : "sub unchosen events");
        }
        if (a != null) {
            for (String pattern : a.events()) {
                sub(out, m, s.eventsMatching(pattern),
                        s.event(other, pattern.replace(">", "probe").replace("*", "probe")), "sub chosen events");
            }
        }
        sub(out, m, s.eventsAll(), s.event(other, "probe"), "sub every event (event.>)");
        pub(out, m, s.event(me, "deployment"), "pub an event as itself");
        pub(out, m, s.event(other, "deployment"), "pub an event as another");
        pub(out, m, s.events("deployment"), "pub a contract subject, no sender");
        for (String agent : agentIds) {
            boolean own = agent.equals(me);
            sub(out, m, s.heartbeat(agent), null, own ? "sub own heartbeat" : "sub other's heartbeat");
            sub(out, m, s.askTo(agent), s.ask(agent, other), own ? "sub own ask" : "sub other's ask");
            sub(out, m, s.vaultGet(agent), null, "sub a vault subject");
            pub(out, m, s.heartbeat(agent), "pub a heartbeat tick");
            pub(out, m, s.ask(agent, me), "pub an ask as itself");
            pub(out, m, s.ask(agent, other), "pub an ask as another");
            pub(out, m, s.ask(agent), "pub a contract subject, no sender");
            pub(out, m, s.vaultGet(agent), own ? "pub own vault subject" : "pub other's vault subject");
        }
        for (String id : memberIds) {
            String cls = id.equals(m.id()) && m.kind() == Kind.AGENT
                    ? "pub own presence key"
                    : "pub other's presence key";
            pub(out, m, "$KV." + s.presenceBucket() + "." + id, cls);
            pub(out, m, s.presence(id), cls);
        }
        // the handled record (docs/reliability.md): keys are created (published) and read (direct get by key)
        String handled = "$KV." + s.handledBucket() + ".";
        String read = "$JS.API.DIRECT.GET.KV_" + s.handledBucket() + "." + handled;
        for (String agent : agentIds) {
            String key = Subjects.handledKey(Subjects.handledAgentScope(agent), "probe");
            boolean own = agent.equals(m.id());
            pub(out, m, handled + key, own ? "pub own handled record" : "pub other's handled record");
            pub(out, m, read + key, own ? "read own handled record" : "read other's handled record");
        }
        for (String role : org.roles()) {
            String key = Subjects.handledKey(Subjects.handledRoleScope(role), "probe");
            boolean own = a != null && a.role().equals(role);
            pub(out, m, handled + key, own ? "pub own role's handled record" : "pub other role's handled record");
            pub(out, m, read + key, own ? "read own role's handled record" : "read other role's handled record");
        }
        // the escalations bucket (issue 23): an agent steps and reads ladders under its own id only
        String ladders = "$KV." + s.escalationsBucket() + ".";
        String readLadder = "$JS.API.DIRECT.GET.KV_" + s.escalationsBucket() + "." + ladders;
        for (String agent : agentIds) {
            String key = Subjects.escalationKey(agent, "probe");
            boolean own = agent.equals(m.id());
            pub(out, m, ladders + key, own ? "pub own escalation ladder" : "pub other's escalation ladder");
            pub(out, m, readLadder + key, own ? "read own escalation ladder" : "read other's escalation ladder");
        }
        sub(out, m, s.orgAll(), s.org("member"), "sub the directory");
        pub(out, m, s.org("member"), "pub a directory request");
        sub(out, m, "$SRV.>", "$SRV.PING", "sub service discovery ($SRV.>)");
        pub(out, m, "$SRV.PING", "pub service discovery ($SRV.PING)");
        sub(out, m, s.dlqAll(), s.dlq("probe", other), "sub dlq");
        pub(out, m, s.dlq("inbox", me), "pub dlq as itself");
        pub(out, m, s.dlq("inbox", other), "pub dlq as another");
        pub(out, m, s.dlq("inbox"), "pub a contract subject, no sender");
        sub(out, m, s.humanHoldAll(), s.humanHold(other), "sub holds");
        pub(out, m, s.humanHold(me), "pub a hold as itself");
        pub(out, m, s.humanHold(other), "pub a hold as another");
        pub(out, m, s.humanHold(), "pub a contract subject, no sender");
        sub(out, m, s.humanApprove(Subjects.ANY), s.humanApprove(other), "sub approval decisions");
        for (String decision : List.of(s.humanApprove(me), s.humanDeny(me))) {
            pub(out, m, decision, "pub an approval decision as itself");
        }
        for (String decision : List.of(s.humanApprove(other), s.humanDeny(other))) {
            pub(out, m, decision, "pub an approval decision as another");
        }
        pub(out, m, s.humanApprove(), "pub a contract subject, no sender");
        pub(out, m, s.humanBudget(me), "pub a budget change as itself");
        pub(out, m, s.humanBudget(other), "pub a budget change as another");
        // spend counters: only the budget desk writes them; an agent asks it to reserve and settle (issue 22)
        for (String agent : agentIds) {
            String counter = "$KV." + s.budgetsBucket() + "." + Subjects.spendScope("agent", agent) + ".d20260405";
            pub(out, m, counter, agent.equals(me) ? "pub own spend counter" : "pub a spend counter");
            if (agent.equals(me)) {
                pub(out, m, s.budgetReserve(me), "pub a budget reservation as itself");
                pub(out, m, s.budgetSettle(me), "pub a budget reservation as itself");
            } else {
                pub(out, m, s.budgetReserve(agent), "pub a budget reservation as another");
            }
        }
        pub(out, m, "$KV." + s.budgetsBucket() + "." + Subjects.spendScope("company", s.company()) + ".d20260405",
                "pub a spend counter");
        // KV buckets that only a service writes: the vault bridge's used nonces, the approval desk's records,
        // hub-bootstrap's stored org (written here under a probe key, so the stored org itself is untouched)
        pub(out, m, "$KV." + s.noncesBucket() + "." + m.id() + ".probe", "pub the nonce ledger");
        pub(out, m, "$KV." + s.approvalsBucket() + ".probe", "pub an approval record");
        pub(out, m, "$KV." + s.orgBucket() + ".probe", "pub the org document");
        for (String api : List.of("$JS.API.", "$JS." + Permissions.JS_DOMAIN + ".API.")) {
            pub(out, m, api + "STREAM.PURGE." + s.auditStream(), "pub audit purge");
            pub(out, m, api + "STREAM.DELETE." + s.auditStream(), "pub audit delete");
        }
        return out;
    }

    /** Whether agent {@code a} chose to follow event {@code type} (one of its patterns matches it). */
    static boolean follows(Agent a, String type) {
        return a.events().stream().anyMatch(p -> dev.orgmesh.render.SubjectPattern.matches(p, type));
    }

    private static void sub(List<Cell> out, Member m, String subject, String probe, String cls) {
        add(out, m, Op.SUB, subject, probe == null ? subject : probe, cls);
    }

    private static void pub(List<Cell> out, Member m, String subject, String cls) {
        add(out, m, Op.PUB, subject, subject, cls);
    }

    private static void add(List<Cell> out, Member m, Op op, String subject, String probe, String cls) {
        Map<Kind, Boolean> row = EXPECTED.get(cls);
        if (row == null) {
            throw new IllegalStateException("no row for class '" + cls + "' in the table");
        }
        Boolean expected = row.get(m.kind());
        if (expected == null) {
            throw new IllegalStateException("class '" + cls + "' has no entry for " + m);
        }
        out.add(new Cell(m, op, subject, probe, cls, expected));
    }

    private static Map<String, Map<Kind, Boolean>> parse(String table) {
        Map<String, Map<Kind, Boolean>> out = new LinkedHashMap<>();
        for (String line : table.strip().lines().skip(1).toList()) {
            String[] t = line.strip().split("\\s+");
            String cls = String.join(" ", java.util.Arrays.copyOf(t, t.length - 3));
            Map<Kind, Boolean> row = new LinkedHashMap<>();
            for (int i = 0; i < 3; i++) {
                String mark = t[t.length - 3 + i];
                if (!mark.matches("[YN-]")) {
                    throw new IllegalStateException("bad mark '" + mark + "' in row: " + line);
                }
                if (!mark.equals("-")) {
                    row.put(Kind.values()[i], mark.equals("Y"));
                }
            }
            if (out.put(cls, row) != null) {
                throw new IllegalStateException("repeated row: " + line);
            }
        }
        return out;
    }
}
