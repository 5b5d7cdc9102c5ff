package dev.orgmesh.agent.brain;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.orgmesh.protocol.Json;

/**
 * A <b>fake</b> OpenAI-compatible chat completions endpoint, at the protocol level, for tests only: the model
 * provider cannot run here. {@code POST /v1/chat/completions} on 127.0.0.1 answers per model: {@link Behavior#DOWN}
 * with 503, {@link Behavior#SLOW} not before the server is closed (the client times out), {@link Behavior#OK} with a
 * completion whose content names the model and echoes the start of the user message. Requests are recorded.
 *
 * <p>A <b>scripted</b> model ({@link #script}) holds a conversation with tool calls as the real API does: its n-th
 * request gets the n-th {@link Reply} (the last one answers every later request) — plain text with
 * {@code finish_reason: stop}, or {@code message.tool_calls} ({@code id}, {@code type: function},
 * {@code function.name}, {@code function.arguments} as a JSON <em>string</em>) with {@code finish_reason: tool_calls}.
 * Like the real API, every request is checked first: an assistant message with {@code tool_calls} must be followed by
 * one {@code tool} message per call id, and a {@code tool} message must answer such a call; otherwise 400 with the
 * API's error. Every answer reports {@link #TOKENS_PER_ANSWER} tokens.
 */
public final class FakeChatServer implements AutoCloseable {
    /** How the fake answers for one model. */
    public enum Behavior {
        DOWN, SLOW, OK,
        /** 401 with the API's error body, as for a wrong key. */
        UNAUTHORIZED
    }

    /** One request as received. */
    public record Request(String model, String authorization, JsonNode body) {
        public String system() {
            return body.path("messages").path(0).path("content").asText();
        }

        public String user() {
            return body.path("messages").path(1).path("content").asText();
        }

        /** The names of the tools ({@code tools[].function.name}) offered in this request. */
        public List<String> tools() {
            List<String> out = new ArrayList<>();
            body.path("tools").forEach(t -> out.add(t.path("function").path("name").asText()));
            return out;
        }

        /** The {@code tool} messages of this request: each {@code tool_call_id} with its content read as JSON. */
        public Map<String, JsonNode> toolResults() {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            for (JsonNode m : body.path("messages")) {
                if ("tool".equals(m.path("role").asText())) {
                    try {
                        out.put(m.path("tool_call_id").asText(), Json.mapper().readTree(m.path("content").asText()));
                    } catch (IOException e) {
                        out.put(m.path("tool_call_id").asText(), Json.mapper().getNodeFactory()
                                .textNode(m.path("content").asText()));
                    }
                }
            }
            return out;
        }
    }

    /** One tool call a scripted model makes; {@code arguments} is the JSON text the model wrote (maybe not JSON). */
    public record ToolCall(String id, String name, String arguments) {
    }

    /** What a scripted model answers to one request. */
    public sealed interface Reply {
        /** A final answer: {@code message.content}, {@code finish_reason: stop}. */
        record Text(String content) implements Reply {
        }

        /** {@code message.tool_calls}, {@code content: null}, {@code finish_reason: tool_calls}. */
        record Calls(List<ToolCall> calls) implements Reply {
        }
    }

    public static Reply text(String content) {
        return new Reply.Text(content);
    }

    public static Reply calls(ToolCall... calls) {
        return new Reply.Calls(List.of(calls));
    }

    public static ToolCall call(String id, String name, String arguments) {
        return new ToolCall(id, name, arguments);
    }

    /** What every answer reports in {@code usage.total_tokens}. */
    public static final int TOKENS_PER_ANSWER = 1000;

    private final HttpServer server;
    private final Map<String, Behavior> behaviors;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Map<String, List<Reply>> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();

    public FakeChatServer(Map<String, Behavior> behaviors) throws IOException {
        this.behaviors = Map.copyOf(behaviors);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    /** The API base to configure as {@code endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** {@code model} answers its n-th request with {@code replies[n]}, and every one after the last with the last. */
    public FakeChatServer script(String model, Reply... replies) {
        if (replies.length == 0) {
            throw new IllegalArgumentException("a script needs at least one reply");
        }
        scripts.put(model, List.of(replies));
        turns.put(model, new AtomicInteger());
        return this;
    }

    /** The requests of {@code model} so far, in arrival order. */
    public List<Request> requests(String model) {
        return requests.stream().filter(r -> r.model().equals(model)).toList();
    }

    /** Every request so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            JsonNode body = Json.mapper().readTree(x.getRequestBody().readAllBytes());
            String model = body.path("model").asText();
            requests.add(new Request(model, x.getRequestHeaders().getFirst("Authorization"), body));
            String invalid = toolProtocolError(body.path("messages"));
            if (invalid != null) {
                ObjectNode err = Json.mapper().createObjectNode();
                err.putObject("error").put("message", invalid).put("type", "invalid_request_error")
                        .put("param", "messages").put("code", (String) null);
                respond(x, 400, err.toString());
                return;
            }
            List<Reply> script = scripts.get(model);
            if (script != null) {
                int n = turns.get(model).getAndIncrement();
                respond(x, 200, scripted(model, script.get(Math.min(n, script.size() - 1)), n));
                return;
            }
            switch (behaviors.getOrDefault(model, Behavior.DOWN)) {
                case DOWN -> respond(x, 503, "{\"error\":{\"message\":\"overloaded\"}}");
                case UNAUTHORIZED -> respond(x, 401, "{\"error\":{\"message\":\"Incorrect API key provided\","
                        + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
                case SLOW -> {
                    try {
                        closing.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    respond(x, 200, completion(model, "too late"));
                }
                case OK -> {
                    String user = body.path("messages").path(1).path("content").asText();
                    respond(x, 200, completion(model, "Answer from " + model + ": I read "
                            + user.substring(0, Math.min(40, user.length())).replace('\n', ' ')));
                }
            }
        } catch (IOException e) {
            // the client went away (it timed out)
        }
    }

    /** The real API's check of the tool messages in a conversation; {@code null} when it holds. */
    private static String toolProtocolError(JsonNode messages) {
        Set<String> open = new LinkedHashSet<>();
        for (JsonNode m : messages) {
            String role = m.path("role").asText();
            if ("tool".equals(role)) {
                String id = m.path("tool_call_id").asText();
                if (!open.remove(id)) {
                    return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message"
                            + " with 'tool_calls'.";
                }
                continue;
            }
            if (!open.isEmpty()) {
                break;
            }
            m.path("tool_calls").forEach(c -> open.add(c.path("id").asText()));
        }
        if (!open.isEmpty()) {
            return "An assistant message with 'tool_calls' must be followed by tool messages responding to each"
                    + " 'tool_call_id'. The following tool_call_ids did not have response messages: "
                    + String.join(", ", open);
        }
        return null;
    }

    private static String scripted(String model, Reply reply, int n) {
        ObjectNode root = Json.mapper().createObjectNode().put("id", "chatcmpl-fake-" + n)
                .put("object", "chat.completion").put("created", 1_700_000_000L + n).put("model", model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        switch (reply) {
            case Reply.Text t -> {
                message.put("content", t.content());
                choice.put("finish_reason", "stop");
            }
            case Reply.Calls c -> {
                message.putNull("content");
                ArrayNode calls = message.putArray("tool_calls");
                for (ToolCall tc : c.calls()) {
                    ObjectNode o = calls.addObject().put("id", tc.id()).put("type", "function");
                    o.putObject("function").put("name", tc.name()).put("arguments", tc.arguments());
                }
                choice.put("finish_reason", "tool_calls");
            }
        }
        root.putObject("usage").put("prompt_tokens", 700).put("completion_tokens", 300)
                .put("total_tokens", TOKENS_PER_ANSWER);
        return root.toString();
    }

    private static String completion(String model, String content) {
        ObjectNode root = Json.mapper().createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion")
                .put("model", model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", content);
        root.putObject("usage").put("prompt_tokens", 700).put("completion_tokens", 300)
                .put("total_tokens", TOKENS_PER_ANSWER);
        return root.toString();
    }

    private static void respond(HttpExchange x, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
