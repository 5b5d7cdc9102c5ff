package dev.orgmesh.agent.brain.openai;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.agent.artifact.ArtifactFile;
import dev.orgmesh.agent.brain.Drafts;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.agent.workspace.WorkspaceFiles;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * The {@code openai} brain (agent-runtime/README.md, "Brains"): any OpenAI-compatible chat completions endpoint, over
 * the JDK's {@link HttpClient}, with a fallback chain of models.
 * <ul>
 * <li><b>Prompt</b>: the system message is the workspace files (SOUL, IDENTITY, AGENTS, ORG, COMPANY, HEARTBEAT)
 * and how to answer; the user message is the envelope as JSON and the text of the artifacts it references.</li>
 * <li><b>Fallback</b>: each model is tried in order; a 5xx, a 429, a timeout, a connection error or an unreadable
 * answer moves on to the next. Another 4xx (bad key, bad request) fails the message at once — the next model would
 * get the same answer. When every model failed, the message is retried later ({@link TransientException}).</li>
 * <li><b>Answer</b>: plain text becomes a report (an {@code answer} to a question) to the sender, with the text as
 * {@code summary}; an answer that starts with {@code BLOCKED:} is a blocked outcome; a JSON object or array is read
 * as envelopes, as the {@code command} brain's output is.</li>
 * <li><b>Heartbeats</b> do not wake the model unless {@code wake_on_heartbeat} is set.</li>
 * </ul>
 */
public final class OpenAiBrain implements Handler {
    private static final Logger LOG = Logger.getLogger(OpenAiBrain.class);
    private static final int MAX_ARTIFACT_CHARS = 16 * 1024;

    private final URI endpoint;
    private final List<String> models;
    private final Supplier<Optional<String>> apiKey;
    private final Duration timeout;
    private final Workspace workspace;
    private final Double temperature;
    private final Integer maxTokens;
    private final boolean wakeOnHeartbeat;
    private final double usdPer1kTokens;
    private final HttpClient http;

    /**
     * @param endpoint the API base ({@code https://api.openai.com/v1}) or the full chat completions URL
     * @param models tried in this order
     * @param apiKey the bearer key at the time of the call, if any
     * @param timeout per request, connection included
     * @param temperature sent when set
     * @param maxTokens sent when set
     * @param usdPer1kTokens the price, so the usage reported for budgets carries money as well as tokens
     */
    public OpenAiBrain(String endpoint, List<String> models, Supplier<Optional<String>> apiKey, Duration timeout,
            Workspace workspace, Double temperature, Integer maxTokens, boolean wakeOnHeartbeat,
            double usdPer1kTokens) {
        this.usdPer1kTokens = usdPer1kTokens;
        if (models.isEmpty()) {
            throw new IllegalArgumentException("at least one model is needed");
        }
        String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.endpoint = URI.create(base.endsWith("/chat/completions") ? base : base + "/chat/completions");
        this.models = List.copyOf(models);
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.workspace = workspace;
        this.temperature = temperature;
        this.maxTokens = maxTokens;
        this.wakeOnHeartbeat = wakeOnHeartbeat;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    @Override
    public Outcome handle(Envelope in, HandlerContext ctx) throws Exception {
        if ("heartbeat".equals(in.type()) && !wakeOnHeartbeat) {
            return Outcome.nothing();
        }
        ArrayNode messages = Json.mapper().createArrayNode();
        messages.addObject().put("role", "system").put("content", systemPrompt(ctx));
        messages.addObject().put("role", "user").put("content", userPrompt(in, ctx));
        List<String> attempts = new ArrayList<>();
        for (String model : models) {
            Attempt a = call(model, messages, ctx);
            switch (a) {
                case Attempt.Answer ok -> {
                    if (!attempts.isEmpty()) {
                        LOG.infof("model %s answered for %s after %s", model, in.id(), String.join("; ", attempts));
                    }
                    return toOutcome(ok.text(), model, in, ctx.self().id());
                }
                case Attempt.NextModel next -> {
                    LOG.infof("model %s failed for %s (%s), trying the next model", model, in.id(), next.why());
                    attempts.add(model + ": " + next.why());
                }
                case Attempt.Refused refused -> {
                    return Outcome.failed("model endpoint " + endpoint + " refused " + model + ": " + refused.why());
                }
            }
        }
        throw new TransientException("every model failed: " + String.join("; ", attempts));
    }

    private sealed interface Attempt {
        record Answer(String text) implements Attempt {
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

    private Attempt call(String model, ArrayNode messages, HandlerContext ctx) throws InterruptedException {
        ObjectNode body = Json.mapper().createObjectNode().put("model", model);
        body.set("messages", messages);
        if (temperature != null) {
            body.put("temperature", temperature);
        }
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
        apiKey.get().ifPresent(k -> req.header("Authorization", "Bearer " + k));
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            return new Attempt.NextModel("no answer within " + timeout);
        } catch (IOException e) {
            return new Attempt.NextModel("connection failed: " + e);
        }
        int status = resp.statusCode();
        if (status >= 500 || status == 429 || status == 408) {
            return new Attempt.NextModel("HTTP " + status);
        }
        if (status >= 400) {
            return new Attempt.Refused("HTTP " + status + " " + errorMessage(resp.body()));
        }
        try {
            JsonNode json = Json.mapper().readTree(resp.body());
            long tokens = json.path("usage").path("total_tokens").asLong(0);
            ctx.usage().add(tokens, Math.round(tokens * usdPer1kTokens * 1000)); // micro-dollars
            JsonNode content = json.path("choices").path(0).path("message").path("content");
            if (!content.isTextual()) {
                return new Attempt.NextModel("answer without choices[0].message.content");
            }
            return new Attempt.Answer(content.textValue());
        } catch (IOException e) {
            return new Attempt.NextModel("answer is not JSON");
        }
    }

    private static String errorMessage(byte[] body) {
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
                Answer the message you are given. Plain text becomes the summary of your report (or answer) to its
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
