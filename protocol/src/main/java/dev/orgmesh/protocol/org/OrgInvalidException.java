package dev.orgmesh.protocol.org;

import java.util.List;
import java.util.stream.Collectors;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/** An org file that breaks rules; carries every problem found, not just the first. */
public class OrgInvalidException extends OrgmeshException {
    private final List<OrgProblem> problems;

    public OrgInvalidException(String source, List<OrgProblem> problems) {
        super(ErrorCode.ORG_INVALID, source + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                + "\n" + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    /** Every problem, in file order. */
    public List<OrgProblem> problems() {
        return problems;
    }
}
