package dev.orgmesh.vault.store;

import java.util.Objects;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.vault.wire.WireCodec;

/**
 * Where a secret is stored, in every backend: {@code company/NAME} for a value shared by the company, or
 * {@code agents/<agent>/NAME} for one agent's own value. {@code NAME} is the environment variable name the org file
 * lists under the agent's {@code secrets}.
 *
 * @param agent the owning agent, or {@code null} for a company secret
 * @param name the secret name
 */
public record SecretPath(String agent, String name) implements Comparable<SecretPath> {
    /** First segment of a company secret. */
    public static final String COMPANY = "company";
    /** First segment of an agent's own secret. */
    public static final String AGENTS = "agents";

    public SecretPath {
        Objects.requireNonNull(name, "name");
        if (!WireCodec.SECRET_NAME.matcher(name).matches()) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST,
                    "'" + name + "' is not a secret name [A-Za-z_][A-Za-z0-9_]*");
        }
        if (agent != null && !Subjects.SAFE_TOKEN.matcher(agent).matches()) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "'" + agent + "' is not an agent id");
        }
    }

    /** {@code company/NAME}. */
    public static SecretPath company(String name) {
        return new SecretPath(null, name);
    }

    /** {@code agents/<agent>/NAME}. */
    public static SecretPath agent(String agent, String name) {
        return new SecretPath(Objects.requireNonNull(agent, "agent"), name);
    }

    /** Parses {@code company/NAME} or {@code agents/<agent>/NAME}; {@code VAULT_BAD_REQUEST} otherwise. */
    public static SecretPath parse(String path) {
        String[] parts = path == null ? new String[0] : path.split("/", -1);
        if (parts.length == 2 && parts[0].equals(COMPANY)) {
            return company(parts[1]);
        }
        if (parts.length == 3 && parts[0].equals(AGENTS)) {
            return agent(parts[1], parts[2]);
        }
        throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST,
                "'" + path + "' is not a secret path: use company/NAME or agents/<agent-id>/NAME");
    }

    /** Whether the value is shared by the company. */
    public boolean isCompany() {
        return agent == null;
    }

    @Override
    public String toString() {
        return isCompany() ? COMPANY + "/" + name : AGENTS + "/" + agent + "/" + name;
    }

    @Override
    public int compareTo(SecretPath o) {
        return toString().compareTo(o.toString());
    }
}
