package dev.orgmesh.agent.brain;

import java.time.Duration;
import java.util.Objects;

import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.ActionKind;

/**
 * One thing a brain does besides answering: the action set every brain shares (agent-runtime/README.md, "Actions").
 * A brain hands actions to {@link Actions#run}; rules files, the command protocol and a model's tool calls are all
 * read into these records by {@link ActionCodec}, so the same validation and the same errors apply to every brain.
 */
public sealed interface Action {
    /** Which action this is (the org file permits or refuses it per role). */
    ActionKind kind();

    /** A direct message to a member, or a message to {@code team:x} or {@code all}. */
    record Send(Envelope message) implements Action {
        public Send {
            Objects.requireNonNull(message, "message");
        }

        @Override
        public ActionKind kind() {
            return ActionKind.SEND;
        }
    }

    /** A task on the queue of {@code role}: one of its members takes it. */
    record Enqueue(String role, Envelope task) implements Action {
        @Override
        public ActionKind kind() {
            return ActionKind.ENQUEUE;
        }
    }

    /** An event of {@code type} on {@code {co}.events.{type}}. */
    record Publish(String type, Envelope event) implements Action {
        @Override
        public ActionKind kind() {
            return ActionKind.PUBLISH;
        }
    }

    /**
     * A question to {@code to}, answered within {@code timeout} ({@code null}: the asker's policy) or by the fallback
     * of the asker's policy.
     */
    record Ask(String to, Envelope question, Duration timeout) implements Action {
        @Override
        public ActionKind kind() {
            return ActionKind.ASK;
        }
    }

    /** The value of one of the agent's own secrets. */
    record Secret(String name) implements Action {
        @Override
        public ActionKind kind() {
            return ActionKind.SECRET;
        }
    }

    /** A file written into the workspace ({@code path} relative to it), to reference from a message. */
    record Artifact(String path, String content) implements Action {
        @Override
        public ActionKind kind() {
            return ActionKind.ARTIFACT;
        }
    }

    /** The agent asks its manager for help with the message it handles. */
    record Escalate(String reason) implements Action {
        @Override
        public ActionKind kind() {
            return ActionKind.ESCALATE;
        }
    }
}
