package dev.orgmesh.agent.brain.openai;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.agent.artifact.ArtifactFile;
import dev.orgmesh.agent.brain.ActionResult;
import dev.orgmesh.agent.brain.Drafts;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.PermanentException;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.agent.workspace.WorkspaceFiles;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.output.TokenUsage;

/**
 * The {@code openai} brain (agent-runtime/README.md, "Brains"): any OpenAI-compatible Chat Completions endpoint, through
 * langchain4j's {@link OpenAiChatModel} (over the JDK's {@link HttpClient}), with a fallback chain of models and the
 * action set as tools.
 * <ul>
 * <li><b>Prompt</b>: the system message is the workspace files (SOUL, IDENTITY, AGENTS, ORG, COMPANY, HEARTBEAT)
 * and how to answer; the user message is the envelope as JSON and the text of the artifacts it references.</li>
 * <li><b>Tools</b> ({@link OpenAiTools}): one per action the role does not turn off. A turn that calls tools has each
 * call carried out by {@link HandlerContext#actions()} (its arguments plus {@code "action": <tool name>}) and its
 * {@link ActionResult} sent back as the tool's result — a refused action is a result with its error code, which the
 * model can react to — and the model is called again, until it answers without tools or {@code max_turns} calls were
 * made (then the message fails, the manager is told). Every turn's token usage is reported to
 * {@link HandlerContext#usage()}.</li>
 * <li><b>Fallback</b>: each model is tried in order; a 5xx, a 429, a 408, a timeout, a connection error or an
 * unreadable answer moves on to the next (langchain4j's own retries are off: the chain decides). Another 4xx (bad key,
 * bad request) fails the message at once — the next model would get the same answer. When every model failed, the
 * message is retried later ({@link TransientException}). A later turn starts at the model that answered the one
 * before.</li>
 * <li><b>Answer</b>: plain text becomes a report (an {@code answer} to a question) to the sender, with the text as
 * {@code summary}; an answer that starts with {@code BLOCKED:} is a blocked outcome; a JSON object or array is read
 * as envelopes, as the {@code command} brain's output is; what the tools queued leaves with it.</li>
 * <li><b>Heartbeats</b> do not wake the model unless {@code wake_on_heartbeat} is set.</li>
 * </ul>
 * Neither the key nor a request body (a secret's value may be in a tool result) is ever logged: langchain4j's request
 * and response logging stays off.
 */
public final class OpenAiBrain implements Handler {
    private static final Logger LOG = Logger.getLogger(OpenAiBrain.class);
    private static final int MAX_ARTIFACT_CHARS = 16 * 1024;
    private static final String CHAT_COMPLETIONS = "/chat/completions";
    /** How many model calls one message may take when the org file does not say ({@code max_turns}). */
    public static final int DEFAULT_MAX_TURNS = 8;

    private final String endpoint;
    private final List<String> models;
    private final Workspace workspace;
    private final boolean wakeOnHeartbeat;
    private final double usdPer1kTokens;
    private final int maxTurns;
    private final Duration timeout;
    private final ChatModel chat;

    /**
     * @param endpoint the API base ({@code https://api.openai.com/v1}) or the full chat completions URL
     * @param models tried in this order
     * @param apiKey the bearer key at the time of the call, if any
     * @param timeout per request, connection included
     * @param temperature sent when set
     * @param maxTokens sent when set
     * @param usdPer1kTokens the price, so the usage reported for budgets carries money as well as tokens
     * @param maxTurns how many model calls one message may take (each answer with tool calls costs one more)
     */
    public OpenAiBrain(String endpoint, List<String> models, Supplier<Optional<String>> apiKey, Duration timeout,
            Workspace workspace, Double temperature, Integer maxTokens, boolean wakeOnHeartbeat,
            double usdPer1kTokens, int maxTurns) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("at least one model is needed");
        }
        if (maxTurns < 1) {
            throw new IllegalArgumentException("max_turns must be at least 1");
        }
        String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        base = base.endsWith(CHAT_COMPLETIONS) ? base.substring(0, base.length() - CHAT_COMPLETIONS.length()) : base;
        this.endpoint = base + CHAT_COMPLETIONS;
        this.models = List.copyOf(models);
        this.workspace = workspace;
        this.wakeOnHeartbeat = wakeOnHeartbeat;
        this.usdPer1kTokens = usdPer1kTokens;
        this.maxTurns = maxTurns;
        this.timeout = timeout;
        this.chat = OpenAiChatModel.builder().baseUrl(base).modelName(this.models.getFirst())
                // the key is read at each call (a secret may be fetched after boot); never logged
                .customHeaders(() -> apiKey.get().map(k -> Map.of("Authorization", "Bearer " + k)).orElse(Map.of()))
                .httpClientBuilder(JdkHttpClient.builder()
                        .httpClientBuilder(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1))
                        .connectTimeout(timeout).readTimeout(timeout))
                .timeout(timeout).maxRetries(0).temperature(temperature).maxTokens(maxTokens).logRequests(false)
                .logResponses(false).build();
    }

    @Override
    public Outcome handle(Envelope in, HandlerContext ctx) throws Exception {
        if ("heartbeat".equals(in.type()) && !wakeOnHeartbeat) {
            return Outcome.nothing();
        }
        List<ToolSpecification> tools = OpenAiTools.offered(ctx.org().policy(ctx.self().role()));
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(SystemMessage.from(systemPrompt(ctx)));
        messages.add(UserMessage.from(userPrompt(in, ctx)));
        int first = 0;
        for (int turn = 1; turn <= maxTurns; turn++) {
            Attempt.Answer answer = null;
            List<String> attempts = new ArrayList<>();
            for (int i = first; i < models.size() && answer == null; i++) {
                String model = models.get(i);
                switch (call(model, messages, tools, ctx)) {
                    case Attempt.Answer ok -> {
                        if (!attempts.isEmpty()) {
                            LOG.infof("model %s answered for %s after %s", model, in.id(), String.join("; ", attempts));
                        }
                        answer = ok;
                        first = i;
                    }
                    case Attempt.NextModel next -> {
                        LOG.infof("model %s failed for %s (%s), trying the next model", model, in.id(), next.why());
                        attempts.add(model + ": " + next.why());
                    }
                    case Attempt.Refused refused -> {
                        return Outcome.failed("model endpoint " + endpoint + " refused " + model + ": "
                                + refused.why());
                    }
                }
            }
            if (answer == null) {
                // at a later turn the whole conversation is held again when the message comes back
                throw new TransientException("every model failed" + (turn > 1 ? " at turn " + turn : "") + ": "
                        + String.join("; ", attempts));
            }
            AiMessage ai = answer.message();
            if (!ai.hasToolExecutionRequests()) {
                return toOutcome(ai.text(), models.get(first), in, ctx.self().id());
            }
            if (turn == maxTurns) {
                LOG.infof("model %s still called %d tool(s) for %s at turn %d (max_turns)", models.get(first),
                        ai.toolExecutionRequests().size(), in.id(), turn);
                // the model had its bounded tries: the message is dead-lettered with the reason, not retried
                throw new PermanentException(ErrorCode.ACTION_TOO_MANY, "the model " + models.get(first)
                        + " was still calling tools after " + maxTurns + " turns (max_turns " + maxTurns
                        + " of the openai brain); its last " + ai.toolExecutionRequests().size()
                        + " tool call(s) were not carried out");
            }
            messages.add(ai);
            for (ToolExecutionRequest call : ai.toolExecutionRequests()) {
                ActionResult result = act(call, ctx);
                messages.add(ToolExecutionResultMessage.builder().id(call.id()).toolName(call.name())
                        .text(result.toJson().toString()).isError(!result.ok()).build());
            }
        }
        throw new IllegalStateException("unreachable: the last turn returns");
    }

    /** Carries out one tool call through the action set; arguments that are not a JSON object are refused here. */
    private static ActionResult act(ToolExecutionRequest call, HandlerContext ctx) {
        String name = call.name() == null ? "?" : call.name();
        JsonNode args;
        try {
            String raw = call.arguments() == null || call.arguments().isBlank() ? "{}" : call.arguments();
            args = Json.mapper().readTree(raw);
        } catch (JsonProcessingException e) {
            return ActionResult.refused(name, new OrgmeshException(ErrorCode.ACTION_MALFORMED,
                    "the arguments of tool " + name + " are not JSON: " + e.getOriginalMessage()));
        }
        if (!args.isObject()) {
            return ActionResult.refused(name, new OrgmeshException(ErrorCode.ACTION_MALFORMED,
                    "the arguments of tool " + name + " must be a JSON object, got " + args.getNodeType()));
        }
        ObjectNode action = ((ObjectNode) args).deepCopy();
        action.put("action", name);
        return ctx.actions().run(action);
    }

    private sealed interface Attempt {
        record Answer(AiMessage message) implements Attempt {
        }

        record NextModel(String why) implements Attempt {
        }

        record Refused(String why) implements Attempt {
        }
    }

    @Override
    public boolean spendsBudget() {
        return true;
    }

    private Attempt call(String model, List<ChatMessage> messages, List<ToolSpecification> tools, HandlerContext ctx)
            throws InterruptedException {
        ChatRequest.Builder req = ChatRequest.builder().modelName(model).messages(List.copyOf(messages));
        if (!tools.isEmpty()) {
            req.toolSpecifications(tools);
        }
        ChatResponse resp;
        try {
            resp = chat.chat(req.build());
        } catch (RuntimeException e) {
            return failure(e);
        }
        TokenUsage usage = resp.tokenUsage();
        long tokens = usage != null && usage.totalTokenCount() != null ? usage.totalTokenCount() : 0;
        ctx.usage().add(tokens, Math.round(tokens * usdPer1kTokens * 1000)); // micro-dollars
        AiMessage ai = resp.aiMessage();
        if (ai == null || !ai.hasToolExecutionRequests() && ai.text() == null) {
            return new Attempt.NextModel("answer without choices[0].message.content or tool_calls");
        }
        return new Attempt.Answer(ai);
    }

    /**
     * What a failed call means for the chain. langchain4j wraps the endpoint's status in an {@link HttpException}
     * (as the cause of its {@code RateLimitException}, {@code InternalServerException}, …), a timeout in its
     * {@link TimeoutException}, a connection error in a {@code RuntimeException} around the {@link IOException}.
     */
    private Attempt failure(RuntimeException e) throws InterruptedException {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpException h) {
                int status = h.statusCode();
                if (status >= 500 || status == 429 || status == 408) {
                    return new Attempt.NextModel("HTTP " + status);
                }
                return new Attempt.Refused("HTTP " + status + " " + errorMessage(h.getMessage()));
            }
        }
        if (Thread.interrupted()) {
            // the JDK client re-sets the flag and wraps the InterruptedException: the runtime is stopping the call
            throw new InterruptedException("interrupted while waiting for the model");
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof HttpTimeoutException) {
                return new Attempt.NextModel("no answer within " + timeout);
            }
            if (t instanceof IOException || t instanceof UnresolvedModelServerException) {
                return new Attempt.NextModel("connection failed: " + t);
            }
        }
        return new Attempt.NextModel("unreadable answer (" + e.getClass().getSimpleName() + ")");
    }

    private static String errorMessage(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode n = Json.mapper().readTree(body);
            String m = n.path("error").path("message").asText("");
            return m.isBlank() ? "" : "(" + m + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private Outcome toOutcome(String text, String model, Envelope in, String self) {
        String t = text.strip();
        if (t.isEmpty()) {
            // nothing to say (what the tools queued still leaves)
            return Outcome.nothing();
        }
        if (t.regionMatches(true, 0, "BLOCKED:", 0, 8)) {
            return Outcome.blocked(t.substring(8).strip());
        }
        String json = stripFence(t);
        if (json.startsWith("{") || json.startsWith("[")) {
            try {
                return Drafts.outcome(Json.mapper().readTree(json), in);
            } catch (IOException | OrgmeshException e) {
                LOG.debugf("model answer looked like JSON but is not an envelope (%s); sending it as text",
                        e.getMessage());
            }
        }
        String type = "question".equals(in.type()) ? "answer" : "report";
        return Outcome.reply(in.reply(self, type).status("complete").subject(in.subject()).summary(t)
                .extra("model", Json.mapper().getNodeFactory().textNode(model)).build());
    }

    private static String stripFence(String t) {
        if (t.startsWith("```")) {
            int nl = t.indexOf('\n');
            int end = t.lastIndexOf("```");
            if (nl > 0 && end > nl) {
                return t.substring(nl + 1, end).strip();
            }
        }
        return t;
    }

    private String systemPrompt(HandlerContext ctx) {
        StringBuilder b = new StringBuilder();
        b.append("You are ").append(ctx.self().name()).append(" (").append(ctx.self().id()).append("), an agent of ")
                .append(ctx.org().name()).append(". Your workspace files follow; they say who you are, who is who"
                        + " and how to talk.\n\n");
        for (String name : WorkspaceFiles.NAMES) {
            String content = workspace.read(name);
            if (!content.isBlank()) {
                b.append("=== ").append(name).append(" ===\n").append(content).append("\n");
            }
        }
        b.append("""
                === How to answer ===
                Answer the message you are given. Your tools act with your identity: messages they send leave when
                you finish, an ask or a secret returns its result at once, and a refused action returns its error
                so you can correct it. Plain text becomes the summary of your report (or answer) to its
                sender. To send other or several messages, answer with a JSON envelope or an array of envelopes
                (fields as in AGENTS.md; `to` defaults to the sender). If you cannot proceed, answer
                `BLOCKED: <reason>` and your manager is told.
                """);
        return b.toString();
    }

    private static String userPrompt(Envelope in, HandlerContext ctx) {
        StringBuilder b = new StringBuilder("Message received on ").append(ctx.source()).append(":\n```json\n")
                .append(new String(EnvelopeCodec.encode(in), StandardCharsets.UTF_8)).append("\n```\n");
        for (ArtifactFile a : ctx.artifacts()) {
            b.append("\nArtifact ").append(a.ref());
            if (!a.present()) {
                b.append(": not available (").append(a.problem()).append(")\n");
                continue;
            }
            b.append(" (").append(a.path().getFileName()).append("):\n```\n").append(text(a)).append("\n```\n");
        }
        return b.toString();
    }

    private static String text(ArtifactFile a) {
        try {
            byte[] bytes = Files.readAllBytes(a.path());
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return s.length() > MAX_ARTIFACT_CHARS ? s.substring(0, MAX_ARTIFACT_CHARS) + "\n[… truncated]" : s;
        } catch (CharacterCodingException e) {
            return "[binary, " + a.path().toFile().length() + " bytes]";
        } catch (IOException e) {
            return "[unreadable: " + e.getMessage() + "]";
        }
    }
}
