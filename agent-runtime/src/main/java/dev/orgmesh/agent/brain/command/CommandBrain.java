package dev.orgmesh.agent.brain.command;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.agent.artifact.ArtifactFile;
import dev.orgmesh.agent.brain.ActionCodec;
import dev.orgmesh.agent.brain.ActionResult;
import dev.orgmesh.agent.brain.Drafts;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * The {@code command} brain (agent-runtime/README.md, "Brains"): runs any agent CLI in the workspace, one process per
 * message.
 * <ul>
 * <li><b>stdin</b>: the message, one envelope as JSON; then closed.</li>
 * <li><b>stdout</b>: the answer — one envelope, an array of envelopes (the first is the reply), nothing, or
 * {@code {"status": "blocked"|"failed", "summary": "..."}} (see {@link Drafts}); or <b>JSON lines</b>, one per
 * line: actions of the action set ({@code {"action": "publish", "event": "deployment", ...}}, see
 * {@link ActionCodec}), {@code {"action": "reply", ...}} for the answer and {@code {"action": "blocked"|"failed",
 * "reason": ...}}. Lines are taken in order once the command exits (results the {@code orgmesh} tool printed, which
 * carry an {@code ok} field, are skipped: that action was already taken); a refused action fails the message with its
 * code, so it is tried again and, after the consumer's deliveries, dead-lettered with the reason.</li>
 * <li><b>the {@code orgmesh} tool</b>: first on the command's {@code PATH} while it runs; each call is one action
 * taken at once with the agent's identity and permissions, its result printed as JSON (an ask's answer, a secret's
 * value). It talks to the runtime over a Unix socket ({@code ORGMESH_TOOL_SOCKET}) in a directory only this user can
 * enter, and needs {@code python3}.</li>
 * <li><b>exit code</b>: non-zero is a failure; its stderr tail is the reason.</li>
 * <li><b>environment</b>: built explicitly, nothing inherited by accident: {@code PATH}, {@code HOME}, {@code LANG},
 * {@code TZ}, {@code TMPDIR} when set, the variables named in {@code pass_env}, the {@code env} map, the agent's
 * secrets (fetched from the vault bridge, held in memory) and {@code ORGMESH_*} (agent, company, workspace, source, message id,
 * artifacts directory).</li>
 * <li><b>timeout</b>: the process and every descendant are killed; the message fails and is escalated.</li>
 * </ul>
 */
public final class CommandBrain implements Handler {
    private static final Logger LOG = Logger.getLogger(CommandBrain.class);
    private static final int MAX_STDOUT = 4 * 1024 * 1024;
    private static final int MAX_STDERR = 64 * 1024;
    private static final List<String> BASE_ENV = List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR");

    private final List<String> argv;
    private final Workspace workspace;
    private final Duration timeout;
    private final Map<String, String> env;
    private final List<String> passEnv;
    private final Supplier<Map<String, String>> secrets;

    /**
     * @param argv the program and its arguments (a single command line is run with {@code /bin/sh -c})
     * @param env extra variables, as configured
     * @param passEnv names of the runtime's own variables to pass on
     * @param secrets the agent's secrets, by name, at the time of the call (fetched from the vault bridge at boot)
     */
    public CommandBrain(List<String> argv, Workspace workspace, Duration timeout, Map<String, String> env,
            List<String> passEnv, Supplier<Map<String, String>> secrets) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
        this.argv = List.copyOf(argv);
        this.workspace = workspace;
        this.timeout = timeout;
        this.env = Map.copyOf(env);
        this.passEnv = List.copyOf(passEnv);
        this.secrets = secrets;
    }

    /** A command may call a model; it does not report usage, so it is charged what it reserved. */
    @Override
    public boolean spendsBudget() {
        return true;
    }

    @Override
    public Outcome handle(Envelope in, HandlerContext ctx) throws Exception {
        try (ToolSocket tool = ToolSocket.open(ctx.actions())) {
            return run(in, ctx, tool);
        }
    }

    private Outcome run(Envelope in, HandlerContext ctx, ToolSocket tool) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(workspace.dir().toFile());
        pb.environment().clear();
        pb.environment().putAll(environment(in, ctx));
        pb.environment().put("ORGMESH_TOOL_SOCKET", tool.socket().toString());
        pb.environment().put("PATH", tool.bin() + ":" + pb.environment().get("PATH"));
        long start = System.nanoTime();
        Process p = pb.start();
        Capture out = Capture.start(p.getInputStream(), MAX_STDOUT, "stdout");
        Capture err = Capture.start(p.getErrorStream(), MAX_STDERR, "stderr");
        Thread.ofVirtual().name("command-stdin").start(() -> {
            try (OutputStream stdin = p.getOutputStream()) {
                stdin.write(EnvelopeCodec.encode(in));
            } catch (IOException e) {
                LOG.debugf("command closed its stdin early: %s", e.getMessage());
            }
        });
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            killTree(p);
            throw e;
        }
        if (!finished) {
            int killed = killTree(p);
            LOG.infof("command %s for %s did not finish within %s: killed %d process(es)", argv.getFirst(), in.id(),
                    timeout, killed);
            return Outcome.failed("command " + argv.getFirst() + " did not answer within " + timeout
                    + "; it was killed with its " + (killed - 1) + " child process(es)");
        }
        byte[] stdout = out.await();
        String stderr = new String(err.await(), StandardCharsets.UTF_8);
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (p.exitValue() != 0) {
            LOG.debugf("command stderr: %s", stderr);
            return Outcome.failed("command " + argv.getFirst() + " exited with " + p.exitValue() + " after " + ms
                    + " ms" + (stderr.isBlank() ? "" : ": " + tail(stderr.strip(), 500)));
        }
        if (out.truncated()) {
            return Outcome.failed("command " + argv.getFirst() + " wrote more than " + MAX_STDOUT + " bytes");
        }
        String text = new String(stdout, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return Outcome.nothing();
        }
        JsonNode answer;
        try {
            answer = Json.mapper().readTree(text);
        } catch (IOException notOneDocument) {
            return lines(text, in, ctx);
        }
        if (answer.isObject() && answer.has("action")) {
            return lines(text, in, ctx);
        }
        try {
            return Drafts.outcome(answer, in);
        } catch (OrgmeshException e) {
            return Outcome.failed("command " + argv.getFirst() + " answered an invalid message: " + e.getMessage());
        }
    }

    /**
     * The JSON-lines protocol: each line an action, {@code reply}, {@code blocked} or {@code failed}. A line that is
     * not JSON or an action that is refused fails this delivery with its code (the message is tried again).
     */
    private Outcome lines(String text, Envelope in, HandlerContext ctx) {
        Envelope reply = null;
        List<Envelope> also = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode json;
            try {
                json = Json.mapper().readTree(line);
            } catch (IOException e) {
                throw new OrgmeshException(ErrorCode.ACTION_MALFORMED, "command " + argv.getFirst() + ", line " + n
                        + ": not JSON: " + tail(line, 200));
            }
            if (!json.isObject()) {
                throw new OrgmeshException(ErrorCode.ACTION_MALFORMED, "command " + argv.getFirst() + ", line " + n
                        + ": an action is a JSON object, got " + json.getNodeType());
            }
            if (json.path("ok").isBoolean()) {
                continue; // a result the orgmesh tool printed (the command did not redirect it): already taken
            }
            String action = json.path("action").asText("");
            ObjectNode o = ((ObjectNode) json).deepCopy();
            o.remove("action");
            switch (action) {
                case "reply", "" -> {
                    Envelope e = Drafts.envelope(o, in);
                    if (reply == null) {
                        reply = e;
                    } else {
                        also.add(e);
                    }
                }
                case "blocked", "failed" -> {
                    String reason = o.path("reason").asText(o.path("summary").asText("(no reason given)"));
                    return action.equals("blocked") ? Outcome.blocked(reason) : Outcome.failed(reason);
                }
                default -> {
                    ActionResult r = ctx.actions().run(json);
                    if (!r.ok()) {
                        throw new OrgmeshException(r.code(), "command " + argv.getFirst() + ", line " + n + ": the "
                                + r.action() + " action was refused: " + r.message());
                    }
                }
            }
        }
        if (reply == null) {
            return also.isEmpty() ? Outcome.nothing() : new Outcome.Send(also);
        }
        return new Outcome.Reply(reply, also);
    }

    /** The complete environment of the process for {@code in}. */
    Map<String, String> environment(Envelope in, HandlerContext ctx) {
        Map<String, String> e = new LinkedHashMap<>();
        for (String name : BASE_ENV) {
            String v = System.getenv(name);
            if (v != null) {
                e.put(name, v);
            }
        }
        e.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String name : passEnv) {
            String v = System.getenv(name);
            if (v != null) {
                e.put(name, v);
            }
        }
        e.putAll(env);
        e.putAll(secrets.get());
        e.put("ORGMESH_AGENT_ID", ctx.self().id());
        e.put("ORGMESH_COMPANY", ctx.org().company());
        e.put("ORGMESH_WORKSPACE", workspace.dir().toString());
        e.put("ORGMESH_ARTIFACTS", workspace.artifactsDir().toString());
        e.put("ORGMESH_SOURCE", ctx.source());
        if (in.id() != null) {
            e.put("ORGMESH_MESSAGE_ID", in.id());
        }
        e.put("ORGMESH_ARTIFACT_FILES", ctx.artifacts().stream().filter(ArtifactFile::present)
                .map(a -> a.path().toString()).collect(Collectors.joining("\n")));
        return e;
    }

    /** Kills the process and all its descendants, children first; returns how many were alive. */
    static int killTree(Process p) {
        List<ProcessHandle> tree = p.toHandle().descendants().toList();
        int n = 1;
        for (ProcessHandle h : tree.reversed()) {
            if (h.destroyForcibly()) {
                n++;
            }
        }
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return n;
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "…" + s.substring(s.length() - max);
    }

    /** Reads a stream on a virtual thread, keeping at most {@code max} bytes. */
    private static final class Capture {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final Thread thread;
        private volatile boolean truncated;

        private Capture(InputStream in, int max, String name) {
            this.thread = Thread.ofVirtual().name("command-" + name).start(() -> {
                byte[] chunk = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(chunk)) >= 0) {
                        int room = max - buf.size();
                        if (room > 0) {
                            buf.write(chunk, 0, Math.min(n, room));
                        }
                        if (n > room) {
                            truncated = true;
                        }
                    }
                } catch (IOException e) {
                    // the process went away
                }
            });
        }

        static Capture start(InputStream in, int max, String name) {
            return new Capture(in, max, name);
        }

        byte[] await() throws InterruptedException {
            if (!thread.join(Duration.ofSeconds(5))) {
                LOG.debugf("a command's output was still open 5 s after it exited (a child holds it)");
            }
            synchronized (buf) {
                return buf.toByteArray();
            }
        }

        boolean truncated() {
            return truncated;
        }
    }
}
