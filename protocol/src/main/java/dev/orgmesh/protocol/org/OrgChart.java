package dev.orgmesh.protocol.org;

import java.util.ArrayList;
import java.util.List;

/** The reporting tree of an org, as text for terminals and as Mermaid for documents. */
public final class OrgChart {
    private OrgChart() {
    }

    /**
     * The tree, humans at the roots:
     *
     * <pre>
     * komodo-ai — Komodo AI
     * └── board — The Board (human)
     *     └── ceo-genesis — Genesis (role-ceo, exec)
     * </pre>
     */
    public static String text(Org org) {
        StringBuilder sb = new StringBuilder();
        sb.append(org.company());
        if (!org.name().equals(org.company())) {
            sb.append(" — ").append(org.name());
        }
        sb.append('\n');
        List<Member> roots = new ArrayList<>(org.humans());
        for (int i = 0; i < roots.size(); i++) {
            walk(org, roots.get(i), "", i == roots.size() - 1, sb);
        }
        return sb.toString();
    }

    private static void walk(Org org, Member m, String indent, boolean last, StringBuilder sb) {
        sb.append(indent).append(last ? "└── " : "├── ").append(label(m)).append('\n');
        List<Agent> reports = org.directReports(m.id());
        String childIndent = indent + (last ? "    " : "│   ");
        for (int i = 0; i < reports.size(); i++) {
            walk(org, reports.get(i), childIndent, i == reports.size() - 1, sb);
        }
    }

    private static String label(Member m) {
        String name = m.name().equals(m.id()) ? m.id() : m.id() + " — " + m.name();
        return switch (m) {
            case Human h -> name + " (human)";
            case Agent a -> name + " (" + a.role() + ", " + a.team() + ")";
        };
    }

    /** The tree as a Mermaid flowchart, one subgraph per team. */
    public static String mermaid(Org org) {
        StringBuilder sb = new StringBuilder("flowchart TD\n");
        for (Human h : org.humans()) {
            sb.append("  ").append(node(h.id())).append("([\"").append(escape(h.name())).append("<br/>human\"])\n");
        }
        org.teams().values().forEach(t -> {
            List<Agent> members = org.teamMembers(t.id());
            if (members.isEmpty()) {
                return;
            }
            sb.append("  subgraph team_").append(node(t.id())).append("[\"").append(escape(t.name())).append("\"]\n");
            for (Agent a : members) {
                sb.append("    ").append(node(a.id())).append("[\"").append(escape(a.name())).append("<br/>")
                        .append(escape(a.role())).append("\"]\n");
            }
            sb.append("  end\n");
        });
        for (Agent a : org.agents()) {
            sb.append("  ").append(node(a.reportsTo())).append(" --> ").append(node(a.id())).append('\n');
        }
        return sb.toString();
    }

    private static String node(String id) {
        return "m_" + id.replace('-', '_');
    }

    private static String escape(String s) {
        return s.replace("\"", "#quot;");
    }
}
