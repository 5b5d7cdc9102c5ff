package dev.orgmesh.protocol.org;

import dev.orgmesh.protocol.ErrorCode;

/**
 * One thing wrong with an org file: where ({@code agents[1].reports_to}), what, and how to fix it.
 *
 * @param code catalogue code of the kind of problem
 * @param path where in the file, in JSON-path-like form
 * @param message what is wrong
 * @param hint how to fix it, or {@code null}
 */
public record OrgProblem(ErrorCode code, String path, String message, String hint) {
    @Override
    public String toString() {
        return path + ": " + message + (hint == null ? "" : " (" + hint + ")");
    }
}
