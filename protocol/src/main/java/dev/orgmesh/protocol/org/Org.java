package dev.orgmesh.protocol.org;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import dev.orgmesh.protocol.Subjects;

/**
 * A validated organization: one company, its teams, humans and agents. Build one with {@link OrgLoader}; an
 * {@code Org} that exists has passed every rule of {@link OrgLoader} (known teams and managers, no cycles, safe ids,
 * …).
 *
 * @param company company id, the first token of every subject
 * @param name display name of the company
 * @param hub where leaves dial the hub
 * @param teams teams by id, in file order
 * @param humans humans, in file order
 * @param agents agents with defaults applied, in file order
 * @param oversight approval gates and budgets
 * @param rolePolicies what the brains of each role may do ({@code roles:}); a role not named has {@link RolePolicy#DEFAULT}
 */
public record Org(String company, String name, HubSpec hub, Map<String, Team> teams, List<Human> humans,
        List<Agent> agents, Oversight oversight, Map<String, RolePolicy> rolePolicies) {

    public Org {
        oversight = oversight == null ? Oversight.NONE : oversight;
        rolePolicies = rolePolicies == null ? Map.of() : Map.copyOf(rolePolicies);
        teams = Collections.unmodifiableMap(new LinkedHashMap<>(teams));
        humans = List.copyOf(humans);
        agents = List.copyOf(agents);
    }

    /** An org whose roles have the default policy. */
    public Org(String company, String name, HubSpec hub, Map<String, Team> teams, List<Human> humans,
            List<Agent> agents, Oversight oversight) {
        this(company, name, hub, teams, humans, agents, oversight, Map.of());
    }

    /** What the brains of {@code role} may do. */
    public RolePolicy policy(String role) {
        return rolePolicies.getOrDefault(role, RolePolicy.DEFAULT);
    }

    /** How {@code agent}'s asks wait and fall back: its own {@code ask:}, else its role's. */
    public RolePolicy.AskPolicy askPolicy(Agent agent) {
        return agent.ask() != null ? agent.ask() : policy(agent.role()).ask();
    }

    /** The subject and stream names of this company. */
    public Subjects subjects() {
        return Subjects.of(company);
    }

    /** Every member, humans first, in file order. */
    public List<Member> members() {
        List<Member> all = new ArrayList<>(humans);
        all.addAll(agents);
        return all;
    }

    /** The member with this id, agent or human. */
    public Optional<Member> member(String id) {
        return members().stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** The agent with this id. */
    public Optional<Agent> agent(String id) {
        return agents.stream().filter(a -> a.id().equals(id)).findFirst();
    }

    /** The agents of a team, in file order. */
    public List<Agent> teamMembers(String team) {
        return agents.stream().filter(a -> a.team().equals(team)).toList();
    }

    /** The agents of a role, in file order. */
    public List<Agent> roleMembers(String role) {
        return agents.stream().filter(a -> a.role().equals(role)).toList();
    }

    /** Every role slug in use, sorted. */
    public List<String> roles() {
        return List.copyOf(new TreeSet<>(agents.stream().map(Agent::role).toList()));
    }

    /** Who this member's escalations go to; empty for humans. */
    public Optional<Member> manager(String id) {
        return agent(id).flatMap(a -> member(a.reportsTo()));
    }

    /**
     * One budget an agent's model calls count against: {@code kind} is {@code agent}, {@code line} (everyone who
     * reports, directly or not, to the agent {@code id}), {@code team} or {@code company}.
     */
    public record SpendScope(String kind, String id) {
    }

    /**
     * What an agent's model calls count against, in order: itself, each agent above it up to the first human (its
     * reporting lines), its team, the company. Empty for an unknown agent. The runtime keeps a spend counter for each
     * ({@link Subjects#spendScope}), and these are the only counters its credentials may write.
     */
    public List<SpendScope> spendScopes(String agentId) {
        Optional<Agent> agent = agent(agentId);
        if (agent.isEmpty()) {
            return List.of();
        }
        List<SpendScope> scopes = new ArrayList<>();
        scopes.add(new SpendScope("agent", agentId));
        for (Member above : chainOfCommand(agentId)) {
            if (above.isHuman()) {
                break;
            }
            scopes.add(new SpendScope("line", above.id()));
        }
        scopes.add(new SpendScope("team", agent.get().team()));
        scopes.add(new SpendScope("company", company));
        return List.copyOf(scopes);
    }

    /** The members above {@code id}, nearest first, ending at a human. Empty for a human or an unknown id. */
    public List<Member> chainOfCommand(String id) {
        List<Member> chain = new ArrayList<>();
        Optional<Member> next = manager(id);
        while (next.isPresent() && chain.size() <= members().size()) {
            chain.add(next.get());
            next = manager(next.get().id());
        }
        return chain;
    }

    /** The members who report directly to {@code id}, in file order. */
    public List<Agent> directReports(String id) {
        return agents.stream().filter(a -> a.reportsTo().equals(id)).toList();
    }
}
