package dev.orgmesh.protocol.org;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the org file lets the brains of one role do ({@code roles.<role>} in the org file):
 *
 * <pre>
 * roles:
 *   role-devops:
 *     actions: { publish: allowed, secret: approval, ask: off }   # allowed | approval | off
 *     ask: { timeout: 30s, fallback: ask_manager }                 # none | retry | ask_manager | default
 * </pre>
 *
 * An action the role does not name keeps the default ({@link #DEFAULTS}: everything allowed but {@code secret}, which
 * hands a credential to the brain and so is off unless the org file turns it on).
 *
 * @param actions the permission of each action
 * @param ask how this role's asks wait and what they do when nobody answers
 */
public record RolePolicy(Map<ActionKind, Permission> actions, AskPolicy ask) {
    /** The permissions of a role the org file says nothing about. */
    public static final Map<ActionKind, Permission> DEFAULTS;

    static {
        EnumMap<ActionKind, Permission> d = new EnumMap<>(ActionKind.class);
        for (ActionKind k : ActionKind.values()) {
            d.put(k, Permission.ALLOWED);
        }
        d.put(ActionKind.SECRET, Permission.OFF);
        DEFAULTS = Map.copyOf(d);
    }

    /** A role without settings. */
    public static final RolePolicy DEFAULT = new RolePolicy(DEFAULTS, AskPolicy.DEFAULT);

    /** What a human may do: everything (humans have no brain to be talked into anything by a message). */
    public static final RolePolicy DEFAULT_HUMAN = new RolePolicy(Map.of(ActionKind.SECRET, Permission.ALLOWED),
            AskPolicy.DEFAULT);

    public RolePolicy {
        EnumMap<ActionKind, Permission> all = new EnumMap<>(DEFAULTS);
        all.putAll(actions);
        actions = Map.copyOf(all);
        ask = ask != null ? ask : AskPolicy.DEFAULT;
    }

    /** This policy with {@code kind} allowed. */
    public RolePolicy allowing(ActionKind kind) {
        EnumMap<ActionKind, Permission> a = new EnumMap<>(actions);
        a.put(kind, Permission.ALLOWED);
        return new RolePolicy(a, ask);
    }

    /** Whether a brain of this role may take {@code kind}, must have it approved, or may not. */
    public Permission permission(ActionKind kind) {
        return actions.get(kind);
    }

    /** An action's permission. */
    public enum Permission {
        /** The action runs. */
        ALLOWED,
        /** A human approves what the action sends before it leaves (the approval desk holds it). */
        APPROVAL,
        /** The action is refused with {@code ACTION_FORBIDDEN}, and the refusal is an audited event. */
        OFF;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Permission parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * How an ask waits: each attempt is bounded by {@code timeout}; when nobody answers, {@code fallback} applies.
     *
     * @param timeout per attempt
     * @param fallback none (fail), retry (ask again {@code retries} times), ask_manager (ask the target's manager
     *        once), default (answer {@code defaultAnswer})
     * @param retries for retry
     * @param defaultAnswer for default
     */
    public record AskPolicy(Duration timeout, Fallback fallback, int retries, String defaultAnswer) {
        public static final AskPolicy DEFAULT = new AskPolicy(Duration.ofSeconds(30), Fallback.NONE, 0, null);

        public AskPolicy {
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(fallback, "fallback");
        }

        /** What an unanswered ask does. */
        public enum Fallback {
            NONE, RETRY, ASK_MANAGER, DEFAULT;

            public String wire() {
                return name().toLowerCase(Locale.ROOT);
            }

            public static Fallback parse(String s) {
                return valueOf(s.toUpperCase(Locale.ROOT));
            }
        }
    }
}
