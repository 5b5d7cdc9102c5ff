package dev.orgmesh.agent.brain.openai;

import java.util.ArrayList;
import java.util.List;

import dev.orgmesh.agent.brain.ActionCodec;
import dev.orgmesh.protocol.org.ActionKind;
import dev.orgmesh.protocol.org.RolePolicy;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;

/**
 * The action set as Chat Completions tools (agent-runtime/README.md, "OpenAI tools"): one function per
 * {@link ActionKind}, named by its wire name, whose parameters are what {@link ActionCodec} reads for that action
 * (the {@code action} field itself is the tool's name). Only the actions the agent's role does not turn {@code off}
 * are offered; a call of another name still goes through the action set and is refused there with its code.
 */
final class OpenAiTools {
    private OpenAiTools() {
    }

    /** The tools a brain of a role with {@code policy} is offered, in the order of {@link ActionKind}. */
    static List<ToolSpecification> offered(RolePolicy policy) {
        List<ToolSpecification> out = new ArrayList<>();
        for (ActionKind k : ActionKind.values()) {
            if (policy.permission(k) != RolePolicy.Permission.OFF) {
                out.add(spec(k, policy.permission(k) == RolePolicy.Permission.APPROVAL));
            }
        }
        return out;
    }

    static ToolSpecification spec(ActionKind kind, boolean approval) {
        String held = approval
                ? " Your role needs a human's approval for this action: the message is held and leaves only when"
                        + " approved."
                : "";
        return switch (kind) {
            case SEND -> tool(kind, "Send a message: a direct message to a member, or to a team (team:<id>) or the"
                    + " whole company (all). It leaves when you finish, with your answer." + held,
                    message(JsonObjectSchema.builder().addStringProperty("to", "Recipient: a member id (see ORG.md),"
                            + " team:<team id> or all. Default: the sender of the message you are handling."), true)
                            .build());
            case ENQUEUE -> tool(kind, "Post a task to a role's queue; one member of that role takes it. It leaves"
                    + " when you finish." + held,
                    message(JsonObjectSchema.builder()
                            .addStringProperty("role", "The role whose queue gets the task, e.g. role-backend."),
                            false)
                            .addStringProperty("type", "Envelope type; default task.").required("role").build());
            case PUBLISH -> tool(kind, "Publish an event of a type; every agent subscribed to that type receives it."
                    + " It leaves when you finish." + held,
                    message(JsonObjectSchema.builder()
                            .addStringProperty("event", "The event type: dot-separated tokens of [a-z0-9][a-z0-9-]*,"
                                    + " e.g. deployment."),
                            false).required("event").build());
            case ASK -> tool(kind, "Ask a member a question and wait for the answer, which this tool returns. When"
                    + " nobody answers in time your role's fallback applies.",
                    message(JsonObjectSchema.builder()
                            .addStringProperty("to", "The member asked (a member id, see ORG.md).")
                            .addStringProperty("timeout", "How long to wait, e.g. 30s or 5m; default: your role's."),
                            false).required("to").build());
            case SECRET -> tool(kind, "Get the value of one of your own secrets by name. The value is given to you,"
                    + " the model, only because your role allows the secret action (it is off unless the org file"
                    + " turns it on); it is removed from anything you send.",
                    JsonObjectSchema.builder()
                            .addStringProperty("name", "The secret's name, e.g. GITHUB_TOKEN.").required("name")
                            .build());
            case ARTIFACT -> tool(kind, "Write a file into your workspace, to reference from a message in its"
                    + " artifacts field.",
                    JsonObjectSchema.builder()
                            .addStringProperty("path", "Path relative to your workspace, e.g. reports/scan.md.")
                            .addStringProperty("content", "The file's text.").required("path", "content").build());
            case ESCALATE -> tool(kind, "Ask your manager for help with the message you are handling, with the"
                    + " reason. It leaves when you finish." + held,
                    JsonObjectSchema.builder()
                            .addStringProperty("reason", "What you need and why.").required("reason").build());
        };
    }

    private static ToolSpecification tool(ActionKind kind, String description, JsonObjectSchema parameters) {
        return ToolSpecification.builder().name(kind.wire()).description(description).parameters(parameters).build();
    }

    /**
     * The envelope fields of a message action ({@link ActionCodec#messageFields()}), after the action's own;
     * {@code to} and {@code type} only where the action lets the brain choose them.
     */
    private static JsonObjectSchema.Builder message(JsonObjectSchema.Builder b, boolean withType) {
        for (String field : ActionCodec.messageFields()) {
            switch (field) {
                case "to" -> {
                    // the action's own parameter says what 'to' may be
                }
                case "type" -> {
                    if (withType) {
                        b.addStringProperty("type", "Envelope type, e.g. report, status, task, question, answer;"
                                + " default report.");
                    }
                }
                case "subject" -> b.addStringProperty("subject", "One line: what it is about.");
                case "summary" -> b.addStringProperty("summary", "The gist, a few sentences.");
                case "context" -> b.addStringProperty("context", "Details the recipient needs.");
                case "priority" -> b.addEnumProperty("priority", List.of("low", "normal", "high", "urgent"));
                case "deadline" -> b.addStringProperty("deadline", "When it is due: an ISO date or instant.");
                case "status" -> b.addStringProperty("status", "For a report: complete, in_progress, blocked, …");
                case "recommendation" -> b.addStringProperty("recommendation", "What you recommend, one word or line.");
                case "artifacts" -> b.addProperty("artifacts", JsonArraySchema.builder()
                        .description("Artifact references or workspace paths (written with the artifact tool).")
                        .items(JsonStringSchema.builder().build()).build());
                default -> b.addStringProperty(field);
            }
        }
        return b;
    }
}
