package dev.orgmesh.agent.brain;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.orgmesh.protocol.Json;

/**
 * A <b>fake</b> OpenAI-compatible chat completions endpoint, at the protocol level, for tests only: the model
 * provider cannot run here. {@code POST /v1/chat/completions} on 127.0.0.1 answers per model: {@link Behavior#DOWN}
 * with 503, {@link Behavior#SLOW} not before the server is closed (the client times out), {@link Behavior#OK} with a
 * completion whose content names the model and echoes the start of the user message. Requests are recorded.
 */
public final class FakeChatServer implements AutoCloseable {
    /** How the fake answers for one model. */
    public enum Behavior {
        DOWN, SLOW, OK
    }

    /** One request as received. */
    public record Request(String model, String authorization, JsonNode body) {
        public String system() {
            return body.path("messages").path(0).path("content").asText();
        }

        public String user() {
            return body.path("messages").path(1).path("content").asText();
        }
    }

    /** What every answer reports in {@code usage.total_tokens}. */
    public static final int TOKENS_PER_ANSWER = 1000;

    private final HttpServer server;
    private final Map<String, Behavior> behaviors;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);

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

    /** Every request so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            JsonNode body = Json.mapper().readTree(x.getRequestBody().readAllBytes());
            String model = body.path("model").asText();
            requests.add(new Request(model, x.getRequestHeaders().getFirst("Authorization"), body));
            switch (behaviors.getOrDefault(model, Behavior.DOWN)) {
                case DOWN -> respond(x, 503, "{\"error\":{\"message\":\"overloaded\"}}");
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
