package dev.orgmesh.hub.directory;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.quarkus.runtime.annotations.RegisterForReflection;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgChart;
import dev.orgmesh.protocol.org.Suggest;
import dev.orgmesh.protocol.org.Team;

/**
 * Answers questions about the org: who is this member, who is on this team, who holds this role, whom does
 * someone report to, the whole chart. Plain logic over an {@link Org}; {@link DirectoryService} serves it on
 * {@code {co}.org.>}. Unknown names are an error that says so and suggests the closest known one.
 */
@RegisterForReflection(targets = {Directory.MemberView.class, Directory.TeamView.class,
        Directory.RoleView.class, Directory.ChainView.class, Directory.ChartView.class})
public final class Directory {
    private final Org org;
    private final Subjects subjects;

    public Directory(Org org) {
        this.org = org;
        this.subjects = org.subjects();
    }

    /** One member as the directory shows it. */
    public record MemberView(String id, String name, String kind, String role, String team, String reportsTo,
            String dm, Map<String, Object> soul) {
    }

    /** A team and its agents. */
    public record TeamView(String id, String name, String description, String channel, List<MemberView> members) {
    }

    /** A role group and its task queue. */
    public record RoleView(String role, String tasks, List<MemberView> members) {
    }

    /** Someone's chain of command, nearest first, ending at a human. */
    public record ChainView(String id, List<MemberView> chain) {
    }

    /** The whole org. */
    public record ChartView(String company, String name, String text, String mermaid, List<MemberView> members,
            List<TeamView> teams) {
    }

    public MemberView member(String id) {
        return view(find(id));
    }

    public TeamView team(String id) {
        Team t = org.teams().get(id);
        if (t == null) {
            throw new OrgmeshException(ErrorCode.DIRECTORY_UNKNOWN_TEAM,
                    "no team '" + id + "'" + hint(id, org.teams().keySet()));
        }
        return teamView(t);
    }

    public RoleView role(String role) {
        List<Agent> members = org.roleMembers(role);
        if (members.isEmpty()) {
            throw new OrgmeshException(ErrorCode.DIRECTORY_UNKNOWN_ROLE,
                    "no agent has role '" + role + "'" + hint(role, org.roles()));
        }
        return new RoleView(role, subjects.tasks(role), members.stream().map(this::view).toList());
    }

    /** The member's manager; a human has none, which is an answer too (an empty chain). */
    public ChainView manager(String id) {
        find(id);
        return new ChainView(id, org.manager(id).map(m -> List.of(view(m))).orElse(List.of()));
    }

    public ChainView chain(String id) {
        find(id);
        return new ChainView(id, org.chainOfCommand(id).stream().map(this::view).toList());
    }

    public ChartView chart() {
        return new ChartView(org.company(), org.name(), OrgChart.text(org), OrgChart.mermaid(org),
                org.members().stream().map(this::view).toList(),
                org.teams().values().stream().map(this::teamView).toList());
    }

    private Member find(String id) {
        return org.member(id).orElseThrow(() -> new OrgmeshException(ErrorCode.DIRECTORY_UNKNOWN_MEMBER,
                "no member '" + id + "'" + hint(id, org.members().stream().map(Member::id).toList())));
    }

    private TeamView teamView(Team t) {
        return new TeamView(t.id(), t.name(), t.description(), subjects.team(t.id()),
                org.teamMembers(t.id()).stream().map(this::view).toList());
    }

    private MemberView view(Member m) {
        return switch (m) {
            case Agent a -> new MemberView(a.id(), a.name(), "agent", a.role(), a.team(), a.reportsTo(),
                    subjects.dm(a.id()), a.soul());
            case Human h ->
                new MemberView(h.id(), h.name(), "human", null, null, null, subjects.dm(h.id()), Map.of());
        };
    }

    private static String hint(String word, Collection<String> known) {
        String h = Suggest.didYouMean(word, known);
        return h == null ? "" : " (" + h + ")";
    }
}
