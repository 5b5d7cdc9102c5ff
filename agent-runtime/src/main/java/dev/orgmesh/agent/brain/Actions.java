package dev.orgmesh.agent.brain;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;

/**
 * Where a brain takes its actions while it handles one message (the runtime gives one per message in
 * {@link HandlerContext#actions()}). Every action is checked the same way whatever the brain: the role's permission
 * (org file), the recipient, the size, the number per message. Messages (send, enqueue, publish, escalate) are
 * queued and leave with the outcome, stored before the message is acknowledged; asks, secrets and artifacts happen at
 * once, so their result can be used in the same call.
 */
public interface Actions {
    /** Carries out {@code action}; never throws for a refused action (the result says why). */
    ActionResult run(Action action);

    /** Reads {@code json} ({@code {"action": "send", ...}}) with {@link ActionCodec}, then carries it out. */
    ActionResult run(JsonNode json);

    /** The messages queued so far, removed from the queue (the runtime sends them with the outcome). */
    List<Envelope> drain();

    /** Outside a handled message: every action is refused. */
    Actions NONE = new Actions() {
        @Override
        public ActionResult run(Action action) {
            return refuse(action.kind().wire());
        }

        @Override
        public ActionResult run(JsonNode json) {
            return refuse(json.path("action").asText("?"));
        }

        private ActionResult refuse(String name) {
            return ActionResult.refused(name, new OrgmeshException(ErrorCode.ACTION_FORBIDDEN,
                    "no action can be taken here: this brain is not handling a message of the runtime"));
        }

        @Override
        public List<Envelope> drain() {
            return List.of();
        }
    };
}
