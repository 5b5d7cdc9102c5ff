package dev.orgmesh.protocol.directory;

import java.util.List;
import java.util.Map;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgChart;
import dev.orgmesh.protocol.org.Team;

/**
 * The org directory's replies on {@code {co}.org.{endpoint}} (hub-bootstrap's directory service answers them; any NATS
 * client may ask): one record per answer, and how each is made from an {@link Org}, so the directory and the console,
 * which draws the same chart, agree on one shape. A member's {@code name} is as the org file writes it (null when it
 * gives none).
 *
 * <p>Endpoints and replies: {@code member} → {@link MemberView}, {@code team} → {@link TeamView}, {@code role} →
 * {@link RoleView}, {@code manager} and {@code chain} → {@link ChainView}, {@code chart} → {@link ChartView}.
 * This lives in a package of its own because it is made from the org model ({@code protocol.org}), which the root
 * package does not import.
 */
public final class DirectoryWire {
    /** The reply's {@code kind} for an agent. */
    public static final String AGENT = "agent";
    /** The reply's {@code kind} for a human. */
    public static final String HUMAN = "human";

    private DirectoryWire() {
    }

    /**
     * One member as the directory shows it.
     *
     * @param kind {@link #AGENT} or {@link #HUMAN}
     * @param role role slug; null for humans
     * @param team team id; null for humans
     * @param reportsTo manager id; null for humans
     * @param dm the member's direct-message subject
     * @param soul the agent's soul as the org file writes it; empty for humans
     */
    public record MemberView(String id, String name, String kind, String role, String team, String reportsTo,
            String dm, Map<String, Object> soul) {

        /** The view of {@code m}, with its DM subject from {@code subjects}. */
        public static MemberView of(Member m, Subjects subjects) {
            return switch (m) {
                case Agent a -> new MemberView(a.id(), a.name(), AGENT, a.role(), a.team(), a.reportsTo(),
                        subjects.dm(a.id()), a.soul());
                case Human h -> new MemberView(h.id(), h.name(), HUMAN, null, null, null, subjects.dm(h.id()),
                        Map.of());
            };
        }
    }

    /**
     * A team and its agents.
     *
     * @param channel the team's channel subject
     */
    public record TeamView(String id, String name, String description, String channel, List<MemberView> members) {

        /** The view of {@code team} of {@code org}, its agents in file order. */
        public static TeamView of(Org org, Team team) {
            Subjects s = org.subjects();
            return new TeamView(team.id(), team.name(), team.description(), s.team(team.id()),
                    org.teamMembers(team.id()).stream().map(m -> MemberView.of(m, s)).toList());
        }
    }

    /**
     * A role group and its task queue.
     *
     * @param tasks the role's task subject
     */
    public record RoleView(String role, String tasks, List<MemberView> members) {

        /** The agents of {@code org} that hold {@code role} (an empty list when none does). */
        public static RoleView of(Org org, String role) {
            Subjects s = org.subjects();
            return new RoleView(role, s.tasks(role), org.roleMembers(role).stream().map(m -> MemberView.of(m, s))
                    .toList());
        }
    }

    /**
     * Someone's chain of command, nearest first, ending at a human ({@code manager}: only the nearest; empty for a
     * human).
     *
     * @param id whose chain it is
     */
    public record ChainView(String id, List<MemberView> chain) {
    }

    /**
     * The whole org.
     *
     * @param company company id
     * @param name company display name
     * @param text the chart as an indented tree ({@link OrgChart#text})
     * @param mermaid the chart as a Mermaid graph ({@link OrgChart#mermaid})
     * @param members every member, humans first, in file order
     * @param teams teams in file order, each with its agents
     */
    public record ChartView(String company, String name, String text, String mermaid, List<MemberView> members,
            List<TeamView> teams) {

        /** The chart of {@code org}. */
        public static ChartView of(Org org) {
            Subjects s = org.subjects();
            return new ChartView(org.company(), org.name(), OrgChart.text(org), OrgChart.mermaid(org),
                    org.members().stream().map(m -> MemberView.of(m, s)).toList(),
                    org.teams().values().stream().map(t -> TeamView.of(org, t)).toList());
        }
    }
}
