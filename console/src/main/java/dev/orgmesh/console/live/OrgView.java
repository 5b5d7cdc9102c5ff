package dev.orgmesh.console.live;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * The org chart as the page draws it: every team with its agents, the humans, and for every member whom they report
 * to and their presence.
 *
 * @param company company id
 * @param name company display name
 * @param teams teams in file order
 * @param members every member, humans first, in file order
 */
public record OrgView(String company, String name, List<TeamView> teams, List<MemberView> members) {

    /** A team. */
    public record TeamView(String id, String name, String description) {
    }

    /**
     * One member.
     *
     * @param kind {@code human} or {@code agent}
     * @param role role slug; null for humans
     * @param team team id; null for humans
     * @param reportsTo manager id; null for humans
     */
    public record MemberView(String id, String name, String kind, String role, String team, String reportsTo,
            PresenceView presence) {
    }

    /** The chart of {@code org} with the beacons in {@code presence} (member id → last beacon) at {@code now}. */
    public static OrgView of(Org org, Map<String, Presence> presence, Instant now) {
        List<TeamView> teams = org.teams().values().stream()
                .map(t -> new TeamView(t.id(), t.name() == null ? t.id() : t.name(), t.description()))
                .toList();
        List<MemberView> members = new ArrayList<>();
        for (Member m : org.members()) {
            String name = m.name() == null ? m.id() : m.name();
            PresenceView p = PresenceView.of(presence.get(m.id()), now);
            if (m instanceof Agent a) {
                members.add(new MemberView(a.id(), name, "agent", a.role(), a.team(), a.reportsTo(), p));
            } else {
                members.add(new MemberView(m.id(), name, "human", null, null, null, p));
            }
        }
        return new OrgView(org.company(), org.name() == null ? org.company() : org.name(), teams, members);
    }
}
