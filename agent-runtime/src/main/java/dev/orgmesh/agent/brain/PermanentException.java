package dev.orgmesh.agent.brain;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * A failure handling a message that retrying cannot fix — a rules file asking for an action its role may not take, a
 * model that used up its turns on refused tool calls: the runtime dead-letters the message at once with this reason
 * (and tells the manager of its sender) instead of redelivering it up to {@code max_deliver}.
 */
public final class PermanentException extends OrgmeshException {
    public PermanentException(ErrorCode code, String message) {
        super(code, message);
    }
}
