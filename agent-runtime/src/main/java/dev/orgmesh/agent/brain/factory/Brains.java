package dev.orgmesh.agent.brain.factory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.BrainSettings;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.command.CommandBrain;
import dev.orgmesh.agent.brain.openai.OpenAiBrain;
import dev.orgmesh.agent.brain.scripted.RuleBook;
import dev.orgmesh.agent.brain.scripted.ScriptedBrain;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.org.BrainSpec;

/**
 * Makes an agent's brain from its {@code BrainSpec} ({@code brain:} in the org file: {@code kind} plus settings).
 *
 * <table>
 * <caption>Settings per kind</caption>
 * <tr><th>kind</th><th>setting</th><th>meaning</th></tr>
 * <tr><td>scripted</td><td>{@code rules}</td><td>a rules file (relative to the org file) or the rules inline; none:
 * the agent does nothing</td></tr>
 * <tr><td>command</td><td>{@code command}</td><td>a command line (run by {@code /bin/sh -c}) or a list (argv)</td></tr>
 * <tr><td></td><td>{@code timeout}</td><td>longest run per message, default 10m</td></tr>
 * <tr><td></td><td>{@code env}, {@code pass_env}</td><td>extra variables; names of the runtime's variables to pass</td></tr>
 * <tr><td>openai</td><td>{@code endpoint}</td><td>the API base URL (e.g. {@code https://api.openai.com/v1})</td></tr>
 * <tr><td></td><td>{@code models} / {@code model}</td><td>the fallback chain, tried in order</td></tr>
 * <tr><td></td><td>{@code api_key_env}</td><td>the secret or environment variable holding the key</td></tr>
 * <tr><td></td><td>{@code timeout}</td><td>per request, default 60s</td></tr>
 * <tr><td></td><td>{@code temperature}, {@code max_tokens}, {@code wake_on_heartbeat}</td><td>optional</td></tr>
 * <tr><td></td><td>{@code usd_per_1k_tokens}</td><td>price, so budgets count money as well as tokens</td></tr>
 * <tr><td></td><td>{@code max_turns}</td><td>model calls per message, default 8: each answer with tool calls (the
 * action set) costs one more; reached, the message fails</td></tr>
 * </table>
 */
public final class Brains {
    private static final Logger LOG = Logger.getLogger(Brains.class);

    private Brains() {
    }

    /**
     * What a brain is made from.
     *
     * @param soul the agent and its org
     * @param workspace its materialized workspace
     * @param baseDir where relative paths in settings (rules files) are read from: the org file's directory
     * @param secrets the agent's secrets by name when called (fetched from the vault bridge at boot); they reach a brain's
     *        process environment or API key, nothing else
     */
    public record Setup(AgentSoul soul, Workspace workspace, Path baseDir, Supplier<Map<String, String>> secrets) {
    }

    /** The brain of {@code setup}'s agent; throws {@code ORG_BAD_VALUE} naming the setting that is wrong. */
    public static Handler create(Setup setup) {
        BrainSpec spec = setup.soul().agent().brain();
        String kind = spec != null ? spec.kind() : "scripted";
        BrainSettings s = new BrainSettings(setup.soul().agent().id(), spec != null ? spec.settings() : Map.of());
        return switch (kind) {
            case "scripted" -> scripted(setup, s);
            case "command" -> command(setup, s);
            case "openai" -> openai(setup, s);
            default -> throw s.bad("kind", "unknown brain kind '" + kind + "'; expected scripted, command or openai");
        };
    }

    private static Handler scripted(Setup setup, BrainSettings s) {
        Optional<Object> rules = s.raw("rules");
        RuleBook book;
        if (rules.isEmpty()) {
            LOG.infof("agent %s has a scripted brain without rules: it handles every message by doing nothing",
                    setup.soul().agent().id());
            book = RuleBook.empty();
        } else if (rules.get() instanceof String file) {
            book = RuleBook.load(setup.baseDir().resolve(file));
        } else {
            JsonNode inline = Json.mapper().valueToTree(rules.get());
            book = RuleBook.of(inline, "agents[" + setup.soul().agent().id() + "].brain.rules");
        }
        return new ScriptedBrain(book, setup.workspace());
    }

    private static Handler command(Setup setup, BrainSettings s) {
        Object cmd = s.raw("command").orElseThrow(() -> s.bad("command",
                "is required for a command brain (e.g. command: \"my-agent --json\")"));
        List<String> argv = cmd instanceof List
                ? s.strings("command")
                : List.of("/bin/sh", "-c", s.required("command",
                        "my-agent --json"));
        if (argv.isEmpty()) {
            throw s.bad("command", "is empty");
        }
        Duration timeout = s.duration("timeout", Duration.ofMinutes(10));
        return new CommandBrain(argv, setup.workspace(), timeout, s.stringMap("env"), s.strings("pass_env"),
                setup.secrets());
    }

    private static Handler openai(Setup setup, BrainSettings s) {
        String endpoint = s.required("endpoint", "https://api.openai.com/v1");
        List<String> models = s.raw("models").isPresent() ? s.strings("models") : s.strings("model");
        if (models.isEmpty()) {
            throw s.bad("models", "is required for an openai brain (e.g. models: [gpt-4o, gpt-4o-mini])");
        }
        Optional<String> keyName = s.string("api_key_env");
        Supplier<Optional<String>> key = () -> keyName.flatMap(n -> Optional.ofNullable(setup.secrets().get().get(n))
                .or(() -> Optional.ofNullable(System.getenv(n))));
        Integer maxTokens = s.number("max_tokens").map(Double::intValue).orElse(null);
        double maxTurns = s.number("max_turns").orElse((double) OpenAiBrain.DEFAULT_MAX_TURNS);
        if (maxTurns < 1 || maxTurns != Math.rint(maxTurns) || maxTurns > 1000) {
            throw s.bad("max_turns",
                    "is " + s.string("max_turns").orElse("")
                            + "; a whole number of model calls from 1 to 1000 (default "
                            + OpenAiBrain.DEFAULT_MAX_TURNS + ")");
        }
        return new OpenAiBrain(endpoint, models, key, s.duration("timeout", Duration.ofSeconds(60)),
                setup.workspace(), s.number("temperature").orElse(null), maxTokens, s.flag("wake_on_heartbeat", false),
                s.number("usd_per_1k_tokens").orElse(0.0), (int) maxTurns);
    }
}
