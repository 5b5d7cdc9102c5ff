package dev.orgmesh.agent.workspace;

import java.util.List;
import java.util.Map;

import dev.orgmesh.protocol.org.Agent;

/**
 * What a role slug means by default (the seed: "role slugs shape agent behavior through the soul system"). A soul
 * overrides it with {@code responsibilities} — a list of lines, or one text — and adds {@code title}.
 */
public final class Responsibilities {
    /** A role's display title and default responsibilities. */
    public record Role(String title, List<String> duties) {
    }

    private static final Map<String, Role> BUILT_IN = Map.ofEntries(
            Map.entry("role-ceo", new Role("Chief Executive Officer", List.of(
                    "Set the company's direction and priorities; turn them into tasks for the exec team.",
                    "Read reports, decide (approve, redirect or stop) and delegate the implementation.",
                    "Own escalations that reach you; take to the humans what you cannot resolve.",
                    "Keep the org informed of decisions on the company channel."))),
            Map.entry("role-cto", new Role("Chief Technology Officer", List.of(
                    "Evaluate technical proposals and migrations; report findings, risks and effort with a clear"
                            + " recommendation.",
                    "Lead engineering, DevOps and security: assign work to them and review what they deliver.",
                    "Own the architecture, technical debt and the platform's reliability.",
                    "Escalate blockers and decisions beyond your authority to your manager."))),
            Map.entry("role-cfo", new Role("Chief Financial Officer", List.of(
                    "Track spend, budgets and runway; flag costs that grow faster than planned.",
                    "Review proposals for their cost and report the financial impact."))),
            Map.entry("role-coo", new Role("Chief Operating Officer", List.of(
                    "Run day-to-day operations and processes across teams.",
                    "Unblock teams, balance load and report operational health."))),
            Map.entry("role-backend", new Role("Backend Engineer", List.of(
                    "Implement, test and ship server-side changes assigned to you.",
                    "Report progress, blockers and results to whoever assigned the task, with links to artifacts.",
                    "Keep services, APIs and dependencies current and secure."))),
            Map.entry("role-frontend", new Role("Frontend Engineer", List.of(
                    "Implement, test and ship user-facing changes assigned to you.",
                    "Report progress and results with screenshots or artifacts."))),
            Map.entry("role-devops", new Role("DevOps Engineer", List.of(
                    "Own deployments, CI pipelines and infrastructure (machines, NATS, networking).",
                    "Watch deployment events; roll back and report when a deployment goes wrong.",
                    "Keep the platform observable: health, metrics, alerts."))),
            Map.entry("role-security", new Role("Security Engineer", List.of(
                    "Audit code, dependencies and configuration for vulnerabilities.",
                    "Respond to security events; report findings with severity and a fix.",
                    "Review changes that touch authentication, secrets or permissions."))),
            Map.entry("role-qa", new Role("QA Engineer", List.of(
                    "Test what is about to ship; report defects with steps to reproduce.",
                    "Maintain the automated test suites."))),
            Map.entry("role-pm", new Role("Product Manager", List.of(
                    "Turn goals and feedback into prioritized, well-described tasks.",
                    "Track delivery against plans and report status."))),
            Map.entry("role-research", new Role("Researcher", List.of(
                    "Investigate questions assigned to you; report findings with sources.",
                    "Say how confident you are and what would change your conclusion."))),
            Map.entry("role-support", new Role("Support Agent", List.of(
                    "Answer customer questions; escalate what you cannot resolve.",
                    "Report recurring problems to engineering."))),
            Map.entry("role-content", new Role("Content Writer", List.of(
                    "Research, write and edit content assigned to you.",
                    "Publish drafts as artifacts and report them for review."))));

    private static final Role GENERIC = new Role(null, List.of(
            "Do the work assigned to you by tasks, DMs and your role's task queue.",
            "Report results to whoever asked, with `re` set to their message's id.",
            "Escalate what blocks you to your manager."));

    private Responsibilities() {
    }

    /** The role of {@code agent} with the soul's overrides applied. */
    public static Role of(Agent agent) {
        Role base = BUILT_IN.getOrDefault(agent.role(), GENERIC);
        String title = agent.soul().get("title") instanceof String t && !t.isBlank()
                ? t
                : base.title() != null ? base.title() : titleFromSlug(agent.role());
        Object override = agent.soul().get("responsibilities");
        List<String> duties = switch (override) {
            case List<?> l when !l.isEmpty() -> l.stream().map(String::valueOf).toList();
            case String s when !s.isBlank() -> s.lines().map(String::strip).filter(x -> !x.isEmpty())
                    .map(x -> x.startsWith("- ") ? x.substring(2) : x).toList();
            case null, default -> base.duties();
        };
        return new Role(title, duties);
    }

    /** The built-in roles, for documentation. */
    public static Map<String, Role> builtIn() {
        return BUILT_IN;
    }

    private static String titleFromSlug(String slug) {
        String s = slug.startsWith("role-") ? slug.substring(5) : slug;
        StringBuilder b = new StringBuilder();
        for (String w : s.split("-")) {
            if (!w.isEmpty()) {
                b.append(b.isEmpty() ? "" : " ").append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
            }
        }
        return b.toString();
    }
}
