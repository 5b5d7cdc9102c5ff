package dev.orgmesh.agent.brain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * What became of an action, as the brain sees it: done (with what it produced: a message id, an answer, a path) or
 * refused with a catalogue code and a reason the brain can act on. A model sees it as its tool result; a command as the
 * reply of the {@code orgmesh} tool; rules as template values.
 *
 * @param ok whether the action was carried out (or, with approval, handed to the humans)
 * @param action the action's name
 * @param code the error when not ok
 * @param message what happened, one sentence
 * @param data what the action produced ({@code null}: nothing)
 */
public record ActionResult(boolean ok, String action, ErrorCode code, String message, JsonNode data) {

    public static ActionResult done(String action, String message, JsonNode data) {
        return new ActionResult(true, action, null, message, data);
    }

    public static ActionResult refused(String action, OrgmeshException e) {
        return new ActionResult(false, action, e.code(), e.getMessage(), null);
    }

    /** As JSON: {@code {"ok":true,"action":"send","message":"…","data":…}} or with {@code error} and {@code code}. */
    public ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("ok", ok);
        o.put("action", action);
        if (code != null) {
            o.put("error", code.name());
            o.put("code", code.code());
        }
        o.put("message", message);
        if (data != null) {
            o.set("data", data);
        }
        return o;
    }
}
