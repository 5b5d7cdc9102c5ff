package dev.orgmesh.hub.directory;

import java.util.Collection;
import java.util.List;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.directory.DirectoryWire.ChainView;
import dev.orgmesh.protocol.directory.DirectoryWire.ChartView;
import dev.orgmesh.protocol.directory.DirectoryWire.MemberView;
import dev.orgmesh.protocol.directory.DirectoryWire.RoleView;
import dev.orgmesh.protocol.directory.DirectoryWire.TeamView;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.Suggest;
import dev.orgmesh.protocol.org.Team;

/**
 * Answers questions about the org: who is this member, who is on this team, who holds this role, whom does
 * someone report to, the whole chart. Plain logic over an {@link Org}; {@link DirectoryService} serves it on
 * {@code {co}.org.>}. The replies are protocol's {@code DirectoryWire}. Unknown names
 * are an error that says so and suggests the closest known one.
 */
public final class Directory {
    private final Org org;
    private final Subjects subjects;

    public Directory(Org org) {
        this.org = org;
        this.subjects = org.subjects();
    }

    public MemberView member(String id) {
        return MemberView.of(find(id), subjects);
    }

    public TeamView team(String id) {
        Team t = org.teams().get(id);
        if (t == null) {
            throw new OrgmeshException(ErrorCode.DIRECTORY_UNKNOWN_TEAM,
                    "no team '" + id + "'" + hint(id, org.teams().keySet()));
        }
        return TeamView.of(org, t);
    }

    public RoleView role(String role) {
        RoleView view = RoleView.of(org, role);
        if (view.members().isEmpty()) {
            throw new OrgmeshException(ErrorCode.DIRECTORY_UNKNOWN_ROLE,
                    "no agent has role '" + role + "'" + hint(role, org.roles()));
        }
        return view;
    }

    /** The member's manager; a human has none, which is an answer too (an empty chain). */
    public ChainView manager(String id) {
        find(id);
        return new ChainView(id, org.manager(id).map(m -> List.of(MemberView.of(m, subjects))).orElse(List.of()));
    }

    public ChainView chain(String id) {
        find(id);
        return new ChainView(id, org.chainOfCommand(id).stream().map(m -> MemberView.of(m, subjects)).toList());
    }

    public ChartView chart() {
        return ChartView.of(org);
    }

    private Member find(String id) {
        return org.member(id).orElseThrow(() -> new OrgmeshException(ErrorCode.DIRECTORY_UNKNOWN_MEMBER,
                "no member '" + id + "'" + hint(id, org.members().stream().map(Member::id).toList())));
    }

    private static String hint(String word, Collection<String> known) {
        String h = Suggest.didYouMean(word, known);
        return h == null ? "" : " (" + h + ")";
    }
}
