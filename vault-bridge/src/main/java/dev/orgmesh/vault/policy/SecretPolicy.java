package dev.orgmesh.vault.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.vault.store.SecretPath;

/**
 * Who may read what, from the org file alone: an agent may read exactly the names its {@code secrets} list holds
 * (after the layered defaults), nothing else. Each name resolves to the agent's own value
 * ({@code agents/<id>/NAME}) when one is stored, else to the company's shared value ({@code company/NAME}). So a
 * shared company secret is readable only by the agents whose entry names it, and one agent can be given its own
 * value under the same name without touching the others.
 */
public final class SecretPolicy {
    private final String company;
    private final Map<String, Set<String>> allowed;

    private SecretPolicy(String company, Map<String, Set<String>> allowed) {
        this.company = company;
        this.allowed = allowed;
    }

    /** The policy of an org. */
    public static SecretPolicy of(Org org) {
        Map<String, Set<String>> allowed = new LinkedHashMap<>();
        for (Agent a : org.agents()) {
            allowed.put(a.id(), Set.copyOf(new LinkedHashSet<>(a.secrets())));
        }
        return new SecretPolicy(org.company(), allowed);
    }

    /** The company this policy belongs to. */
    public String company() {
        return company;
    }

    /** The names {@code agent} may read; empty for an unknown agent. */
    public Set<String> allowedNames(String agent) {
        return allowed.getOrDefault(agent, Set.of());
    }

    /**
     * Checks that {@code agent} may read every one of {@code names}: all or nothing. Throws {@code VAULT_DENIED}
     * naming the refused names (names are not secret; values never appear).
     */
    public void check(String agent, List<String> names) {
        Set<String> mine = allowed.get(agent);
        if (mine == null) {
            throw new OrgmeshException(ErrorCode.VAULT_DENIED, "'" + agent + "' is not an agent of " + company);
        }
        List<String> refused = names.stream().filter(n -> !mine.contains(n)).toList();
        if (!refused.isEmpty()) {
            throw new OrgmeshException(ErrorCode.VAULT_DENIED,
                    agent + " may not read " + String.join(", ", refused) + ": its org entry lists "
                            + (mine.isEmpty() ? "no secrets" : String.join(", ", new TreeSet<>(mine))));
        }
    }

    /** Where {@code name} is looked up for {@code agent}, in order: its own value, then the company's. */
    public static List<SecretPath> candidates(String agent, String name) {
        return List.of(SecretPath.agent(agent, name), SecretPath.company(name));
    }

    /** Every path some agent may read: the ones worth watching for rotation. */
    public Set<SecretPath> readablePaths() {
        Set<SecretPath> paths = new TreeSet<>();
        allowed.forEach((agent, names) -> names.forEach(n -> paths.addAll(candidates(agent, n))));
        return paths;
    }

    /** Agents that may read the value at {@code path}. */
    public List<String> readers(SecretPath path) {
        List<String> out = new ArrayList<>();
        allowed.forEach((agent, names) -> {
            if (names.contains(path.name()) && (path.isCompany() || path.agent().equals(agent))) {
                out.add(agent);
            }
        });
        return out;
    }
}
