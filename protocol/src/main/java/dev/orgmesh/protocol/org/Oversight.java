package dev.orgmesh.protocol.org;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the humans set in the org file to oversee it: approval gates, budgets and how escalations climb.
 *
 * @param approvals gates, in file order; the first that matches a message holds it
 * @param companyBudget the company's limits
 * @param teamBudgets limits per team id
 * @param agentBudgets limits per agent id
 * @param reserveTokens how many tokens a brain call reserves before it runs (settled to the real use afterwards)
 * @param escalation how unanswered work climbs the reporting chain, and what becomes of late tasks
 */
public record Oversight(List<ApprovalGate> approvals, Budget companyBudget, Map<String, Budget> teamBudgets,
        Map<String, Budget> agentBudgets, long reserveTokens, EscalationPolicy escalation) {
    public static final long DEFAULT_RESERVE_TOKENS = 2_000;
    public static final Oversight NONE = new Oversight(List.of(), Budget.UNLIMITED, Map.of(), Map.of(),
            DEFAULT_RESERVE_TOKENS, EscalationPolicy.DEFAULT);

    public Oversight {
        approvals = List.copyOf(approvals);
        teamBudgets = Map.copyOf(teamBudgets);
        agentBudgets = Map.copyOf(agentBudgets);
        escalation = escalation != null ? escalation : EscalationPolicy.DEFAULT;
    }

    /** Gates and budgets with the default escalation policy. */
    public Oversight(List<ApprovalGate> approvals, Budget companyBudget, Map<String, Budget> teamBudgets,
            Map<String, Budget> agentBudgets, long reserveTokens) {
        this(approvals, companyBudget, teamBudgets, agentBudgets, reserveTokens, EscalationPolicy.DEFAULT);
    }

    /** The first gate that holds this message at an agent of {@code recipientTeam}. */
    public Optional<ApprovalGate> gateFor(String type, String from, String to, String priority, String recipientTeam) {
        return approvals.stream().filter(g -> g.match().matches(type, from, to, priority, recipientTeam)).findFirst();
    }

    public Budget agentBudget(String agent) {
        return agentBudgets.getOrDefault(agent, Budget.UNLIMITED);
    }

    public Budget teamBudget(String team) {
        return teamBudgets.getOrDefault(team, Budget.UNLIMITED);
    }

    /** Whether the org file sets any budget limit (the company's, a team's or an agent's). */
    public boolean hasBudgets() {
        return !companyBudget.equals(Budget.UNLIMITED) || teamBudgets.values().stream()
                .anyMatch(b -> !b.equals(Budget.UNLIMITED))
                || agentBudgets.values().stream().anyMatch(b -> !b.equals(Budget.UNLIMITED));
    }
}
