package dev.orgmesh.agent.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.HeartbeatSpec;
import dev.orgmesh.protocol.org.Human;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgChart;
import dev.orgmesh.protocol.org.Team;

/**
 * The text of an agent's workspace files, from the org and the soul alone (agent-runtime/README.md, "Workspace"). The
 * output is a pure function of its inputs — no timestamps, no host names — so materializing again writes nothing when
 * nothing changed. Secret values never reach these files: they only exist in the runtime's memory and the brain's
 * environment; soul keys that look like credentials are left out as well.
 */
public final class WorkspaceFiles {
    /** Soul keys whose values are never written, in case someone put a credential in a soul. */
    static final Pattern SECRET_LIKE = Pattern.compile("(?i).*(secret|token|password|passwd|api[_-]?key|credential"
            + "|private[_-]?key).*");

    /** The file names, in the order a brain should read them. */
    public static final List<String> NAMES = List.of("SOUL.md", "IDENTITY.md", "AGENTS.md", "ORG.md", "COMPANY.md",
            "HEARTBEAT.md");

    private WorkspaceFiles() {
    }

    /** Every file of {@code agent}'s workspace, by name. */
    public static Map<String, String> render(Org org, Agent agent, LoopLimits limits) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("SOUL.md", soul(org, agent));
        files.put("IDENTITY.md", identity(org, agent));
        files.put("AGENTS.md", agents(org, agent, limits));
        files.put("ORG.md", chart(org, agent));
        files.put("COMPANY.md", company(org));
        files.put("HEARTBEAT.md", heartbeat(org, agent));
        return files;
    }

    static String soul(Org org, Agent a) {
        Responsibilities.Role role = Responsibilities.of(a);
        StringBuilder b = new StringBuilder();
        b.append("# Soul of ").append(a.name()).append(" (").append(a.id()).append(")\n\n");
        b.append("You are **").append(a.name()).append("**, ").append(role.title()).append(" (`").append(a.role())
                .append("`) of ").append(org.name()).append(", on the ").append(teamName(org, a.team()))
                .append(" team. You report to ").append(memberLabel(org, a.reportsTo())).append(".\n\n");
        Object spec = a.soul().get("specialization");
        Object pers = a.soul().get("personality");
        if (spec != null) {
            b.append("- **Specialization:** ").append(spec).append('\n');
        }
        if (pers != null) {
            b.append("- **Personality:** ").append(pers).append('\n');
        }
        if (spec != null || pers != null) {
            b.append('\n');
        }
        b.append("## Responsibilities\n\n");
        role.duties().forEach(d -> b.append("- ").append(d).append('\n'));
        Map<String, Object> rest = new LinkedHashMap<>(a.soul());
        List.of("specialization", "personality", "responsibilities", "title").forEach(rest::remove);
        List<String> withheld = rest.keySet().stream().filter(k -> SECRET_LIKE.matcher(k).matches()).sorted().toList();
        withheld.forEach(rest::remove);
        if (!rest.isEmpty()) {
            b.append("\n## More about you\n\n");
            rest.forEach((k, v) -> b.append("- **").append(k).append(":** ").append(v).append('\n'));
        }
        if (!withheld.isEmpty()) {
            b.append("\n(Soul keys not written here because they look like credentials: ")
                    .append(String.join(", ", withheld)).append(".)\n");
        }
        return b.toString();
    }

    static String identity(Org org, Agent a) {
        Subjects s = org.subjects();
        StringBuilder b = new StringBuilder("# Identity\n\n");
        b.append("| | |\n|---|---|\n");
        row(b, "id", "`" + a.id() + "`");
        row(b, "name", a.name());
        row(b, "role", "`" + a.role() + "` — " + Responsibilities.of(a).title());
        row(b, "team", "`" + a.team() + "` — " + teamName(org, a.team()));
        row(b, "reports to", memberLabel(org, a.reportsTo()) + ", DM `" + s.dm(a.reportsTo()) + "`");
        row(b, "company", "`" + org.company() + "` — " + org.name());
        row(b, "brain", a.brain() != null ? "`" + a.brain().kind() + "`" : "`scripted`");
        b.append("\n## Your subjects\n\n");
        b.append("| subject | what arrives there |\n|---|---|\n");
        b.append("| `").append(s.dm(a.id())).append("` | direct messages to you (your inbox) |\n");
        b.append("| `").append(s.team(a.team())).append("` | your team's channel |\n");
        b.append("| `").append(s.all()).append("` | company-wide broadcasts |\n");
        b.append("| `").append(s.tasks(a.role())).append("` | your role's task queue (one agent of the role takes each)"
                + " |\n");
        for (String ev : a.events()) {
            b.append("| `").append(s.events(ev)).append("` | events you follow |\n");
        }
        b.append("| `").append(s.heartbeat(a.id())).append("` | your heartbeat ticks |\n");
        b.append("| `").append(s.ask(a.id())).append("` | requests that wait for your answer |\n");
        if (!a.secrets().isEmpty()) {
            b.append("\n## Credentials\n\nYou may use: ").append(a.secrets().stream().map(x -> "`" + x + "`")
                    .collect(Collectors.joining(", ")))
                    .append(". Their values are fetched from the vault at boot, kept in memory and passed to your"
                            + " tools' environment only: never in this workspace, a message or a log.\n");
        }
        return b.toString();
    }

    static String chart(Org org, Agent a) {
        Subjects s = org.subjects();
        StringBuilder b = new StringBuilder("# Organization chart of ").append(org.name()).append("\n\n");
        b.append("```\n").append(OrgChart.text(org)).append("```\n\n");
        b.append("Your chain of command: ").append(a.id());
        org.chainOfCommand(a.id()).forEach(m -> b.append(" → ").append(m.id()));
        b.append(". Escalate to `").append(s.dm(a.reportsTo())).append("`, never to the company broadcast.\n");
        List<Agent> reports = org.directReports(a.id());
        if (!reports.isEmpty()) {
            b.append("Your direct reports: ").append(reports.stream().map(r -> r.id() + " (" + r.name() + ")")
                    .collect(Collectors.joining(", "))).append(".\n");
        }
        b.append("\n## How to reach anyone\n\n");
        b.append("| member | name | role | team | reports to | DM subject |\n|---|---|---|---|---|---|\n");
        for (Member m : org.members()) {
            switch (m) {
                case Human h ->
                    b.append("| `").append(h.id()).append("` | ").append(h.name()).append(" | human | — | — | `")
                            .append(s.dm(h.id())).append("` |\n");
                case Agent x -> b.append("| `").append(x.id()).append("` | ").append(x.name()).append(" | `")
                        .append(x.role()).append("` | `").append(x.team()).append("` | `").append(x.reportsTo())
                        .append("` | `").append(s.dm(x.id())).append("` |\n");
            }
        }
        b.append("\nTeams: ").append(org.teams().values().stream().map(t -> "`" + s.team(t.id()) + "` ("
                + t.name() + ")").collect(Collectors.joining(", "))).append(". Role task queues: ")
                .append(org.roles().stream().map(r -> "`" + s.tasks(r) + "`").collect(Collectors.joining(", ")))
                .append(".\n");
        return b.toString();
    }

    static String company(Org org) {
        Subjects s = org.subjects();
        StringBuilder b = new StringBuilder("# ").append(org.name()).append(" (`").append(org.company())
                .append("`)\n\n");
        b.append("An AI organization on NATS: every member has a DM subject, every team a channel, every role a task"
                + " queue.\n\n## Teams\n\n");
        for (Team t : org.teams().values()) {
            b.append("### ").append(t.name()).append(" (`").append(t.id()).append("`)\n\n");
            if (t.description() != null && !t.description().isBlank()) {
                b.append(t.description()).append("\n\n");
            }
            b.append("Channel `").append(s.team(t.id())).append("`. Members: ");
            List<Agent> members = org.teamMembers(t.id());
            b.append(members.isEmpty()
                    ? "none"
                    : members.stream().map(m -> m.name() + " (`" + m.id() + "`, "
                            + m.role() + ")").collect(Collectors.joining(", ")))
                    .append(".\n\n");
        }
        if (!org.humans().isEmpty()) {
            b.append("## Humans\n\n");
            for (Human h : org.humans()) {
                b.append("- ").append(h.name()).append(" (`").append(h.id()).append("`), DM `").append(s.dm(h.id()))
                        .append("`").append(h.email() != null ? ", " + h.email() : "").append('\n');
            }
        }
        return b.toString();
    }

    /** The heading of HEARTBEAT.md's own checklist; what follows it is kept when the file is written again. */
    public static final String CHECKLIST = "## Checklist";

    static String heartbeat(Org org, Agent a) {
        Subjects s = org.subjects();
        HeartbeatSpec hb = a.heartbeat();
        StringBuilder b = new StringBuilder("# Heartbeat\n\n");
        if (hb == null || !hb.enabled()) {
            b.append("Heartbeats are off for you.\n\n");
        } else {
            b.append("A tick arrives on `").append(s.heartbeat(a.id())).append("` ");
            b.append(hb.cron() != null
                    ? "on the schedule `" + hb.cron() + "`"
                    : "every " + dev.orgmesh.protocol.org.Durations.format(hb.every()));
            if (hb.activeHours() != null) {
                b.append(", between ").append(hb.activeHours()).append(" only");
            }
            b.append(" (time zone ").append(hb.tz()).append("). After downtime you get one tick, not a burst.\n\n");
            b.append("> ").append(hb.prompt()).append("\n\n");
        }
        b.append("## On each tick\n\n");
        b.append("1. Check your inbox (`").append(s.dm(a.id())).append("`) and your role's queue (`")
                .append(s.tasks(a.role())).append("`) for work you have not finished.\n");
        b.append("2. For each task you are working on: if it is done, report to whoever assigned it (`re` = the"
                + " task's id); if it is late, say so and when it will be done.\n");
        b.append("3. If something blocks you that you cannot resolve, escalate to your manager, ")
                .append(memberLabel(org, a.reportsTo())).append(", on `").append(s.dm(a.reportsTo()))
                .append("` — not to the company broadcast.\n");
        b.append("4. If nothing needs attention, do nothing. Do not send messages just to say so.\n\n");
        b.append("The runtime wakes you for a tick only when there is work: messages waiting in your inbox or your"
                + " role's queue, a forced heartbeat, or an item below whose due time has passed. Otherwise the tick is"
                + " recorded as skipped and costs no tokens.\n\n");
        b.append(CHECKLIST).append("\n\n");
        b.append("<!-- Add items here; they survive restarts. An item is due from its date (and time, in ")
                .append(hb != null && hb.tz() != null ? hb.tz() : "UTC")
                .append("):\n- [ ] rotate the staging keys (due 2026-11-21 09:00)\nTick it off with [x] when done. -->\n");
        return b.toString();
    }

    static String agents(Org org, Agent a, LoopLimits limits) {
        Subjects s = org.subjects();
        String co = org.company();
        return """
                # How to talk

                Everything you say is a JSON **envelope** published on a NATS subject. Subjects follow
                `{company}.{scope}`:

                | to reach | publish to | `to` field |
                |---|---|---|
                | one member | `%1$s.dm.{member}` | `{member}` |
                | a team | `%1$s.{team}` | `team:{team}` |
                | any one agent of a role | `%1$s.tasks.{role}` | `role:{role}` |
                | everyone | `%1$s.all` | `all` |
                | an event stream | `%1$s.events.{type}` | — |

                The runtime publishes what your brain returns to the subject its `to` names; you do not pick
                subjects yourself.

                ## The envelope

                ```json
                {"id": "01J…", "from": "%2$s", "to": "%3$s", "type": "report", "subject": "…",
                 "priority": "normal", "context": "…", "deadline": "2026-04-07",
                 "re": "<id of the message this answers>", "thread": "<id of the first message>",
                 "status": "complete", "recommendation": "proceed", "summary": "…",
                 "breaking_changes": ["…"], "artifacts": ["r2://%1$s/reports/…"], "artifact_path": "…"}
                ```

                - `type`: task, report, question, answer, escalation, event, status, decision, … (open set).
                - `priority`: low, normal, high, urgent. `deadline`: a date (end of that day in your time zone)
                  or an ISO instant.
                - `re` names the message you answer; always set it in reports and answers, or the sender's runtime
                  will count the task as unanswered at its deadline.
                - `id`, `from`, `ts`, `thread`, `hops` and `chain` are filled in by the runtime.

                ## Escalation (done by the runtime, to your manager `%4$s` on `%5$s`)

                - your brain answers **blocked** or **failed**;
                - a task you sent with a `deadline` gets no message with `re` = its id in time: the manager of its
                  assignee is told, once;
                - a message you handled was dead-lettered, or one you could not read;
                - a loop: more than %6$d hand-offs (`hops`), a thread that comes back to you after you handed it on
                  %7$d times (`chain`), or more than %8$d direct messages a minute from one sender.

                At the top of the chain escalations go to the humans. Do not escalate by broadcasting.

                ## Artifacts

                References in `artifact_path` and `artifacts` (`obj://{bucket}/{name}`, `r2://{bucket}/{key}`,
                `s3://{bucket}/{key}`) are fetched into `artifacts/{scheme}/{bucket}/{name}` in this workspace
                before your brain runs. To publish a file, write it at the path its reference maps to and list the
                reference in `artifacts`; or list a path relative to this workspace and the runtime stores it as
                `obj://%9$s/%2$s/{path}`.
                """.formatted(co, a.id(), a.reportsTo(), a.reportsTo(), s.dm(a.reportsTo()), limits.maxHops(),
                limits.maxChainRepeats(), limits.pairRateLimit(), s.artifactBucket());
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append("| ").append(k).append(" | ").append(v).append(" |\n");
    }

    private static String teamName(Org org, String team) {
        Team t = org.teams().get(team);
        return t != null ? t.name() : team;
    }

    private static String memberLabel(Org org, String id) {
        return org.member(id).map(m -> m.name().equals(m.id()) ? m.id() : m.name() + " (" + m.id() + ")")
                .orElse(id);
    }
}
