package dev.orgmesh.protocol.org;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a brain may do besides answering (agent-runtime/README.md, "Actions"): the one action set every kind of brain
 * uses, under the names the rules file, the command protocol, the model's tools and the org file's
 * {@code roles.<role>.actions} write.
 */
public enum ActionKind {
    /** A direct message to a member, or a message to a team ({@code team:x}) or the whole company ({@code all}). */
    SEND,
    /** A task on a role's queue ({@code {co}.tasks.{role}}): one member of the role takes it. */
    ENQUEUE,
    /** An event on {@code {co}.events.{type}}, for whoever subscribes to it. */
    PUBLISH,
    /** A question to a member, answered within a timeout (or the fallback of the asker's role). */
    ASK,
    /** One of the agent's own secrets, by name, through the vault bridge. */
    SECRET,
    /** A file written into the agent's workspace, to reference from a message as an artifact. */
    ARTIFACT,
    /** The agent's manager is told the agent needs help; each unanswered step climbs the chain. */
    ESCALATE;

    /** The name as written in files and on the wire ({@code send}, {@code enqueue}, ...). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The gate a message of this action is held under when its role needs approval ({@code action-publish}). */
    public String holdGate() {
        return HOLD_GATE_PREFIX + wire();
    }

    /** What the gate of a held action starts with; org gates cannot be named so (their ids are checked). */
    public static final String HOLD_GATE_PREFIX = "action-";

    /** The action a hold gate names ({@code action-publish}), if it names one. */
    public static Optional<ActionKind> ofHoldGate(String gate) {
        return gate != null && gate.startsWith(HOLD_GATE_PREFIX)
                ? parse(gate.substring(HOLD_GATE_PREFIX.length()))
                : Optional.empty();
    }

    /** The kind named {@code s}, if there is one. */
    public static Optional<ActionKind> parse(String s) {
        return Arrays.stream(values()).filter(k -> k.wire().equals(s)).findFirst();
    }

    /** Every wire name, comma-separated (for error messages). */
    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(ActionKind::wire).toList());
    }
}
