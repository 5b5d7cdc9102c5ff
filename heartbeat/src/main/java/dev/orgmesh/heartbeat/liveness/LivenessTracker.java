package dev.orgmesh.heartbeat.liveness;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Presence.Liveness;

/**
 * Who is alive, from presence beacons. An agent is <em>up</em> after a beacon and <em>down</em> once
 * {@value Presence#MISSED_BEACONS} of its own beacon intervals pass without one (or it says it is stopping; the rule
 * is {@link Presence#liveness}); each change is reported once. An agent never seen since this tracker started is <em>unknown</em>, not down, so bringing an org
 * up member by member does not page anyone. No clock inside: callers pass {@code now}.
 */
public final class LivenessTracker {
    /**
     * A change of state.
     *
     * @param agent the agent
     * @param to the new state ({@code UP} or {@code DOWN})
     * @param lastSeen the beacon that decides it: the new one for UP, the last one for DOWN
     */
    public record Transition(String agent, Liveness to, Instant lastSeen) {
    }

    private record Seen(Instant ts, Duration interval, Liveness state) {
    }

    private final Map<String, Seen> seen = new HashMap<>();

    /**
     * Records a beacon seen at {@code now}; returns the UP transition when the agent was down. A beacon that is
     * already stale when first seen (the last word of an agent that died while no heartbeat instance watched)
     * marks the agent down without a transition, so a restarted heartbeat service does not re-page for old news;
     * the agent's return is then reported as up. The first beacon of an unknown agent is not an event either.
     */
    public Optional<Transition> observe(Presence p, Instant now) {
        Seen before = seen.get(p.member());
        if (before != null && !p.ts().isAfter(before.ts())) {
            return Optional.empty();
        }
        Liveness state = p.liveness(now);
        seen.put(p.member(), new Seen(p.ts(), p.interval(), state));
        if (before == null) {
            return Optional.empty();
        }
        if (state == Liveness.UP && before.state() == Liveness.DOWN) {
            return Optional.of(new Transition(p.member(), Liveness.UP, p.ts()));
        }
        if (state == Liveness.DOWN && before.state() == Liveness.UP) {
            return Optional.of(new Transition(p.member(), Liveness.DOWN, p.ts()));
        }
        return Optional.empty();
    }

    /** Marks down every up agent silent for {@value Presence#MISSED_BEACONS} intervals; returns those transitions. */
    public List<Transition> check(Instant now) {
        List<Transition> out = new ArrayList<>();
        seen.replaceAll((agent, s) -> {
            if (s.state() == Liveness.UP
                    && now.isAfter(s.ts().plus(s.interval().multipliedBy(Presence.MISSED_BEACONS)))) {
                out.add(new Transition(agent, Liveness.DOWN, s.ts()));
                return new Seen(s.ts(), s.interval(), Liveness.DOWN);
            }
            return s;
        });
        return out;
    }

    /** An agent's state. */
    public Liveness state(String agent) {
        Seen s = seen.get(agent);
        return s == null ? Liveness.UNKNOWN : s.state();
    }

    /** An agent's last beacon. */
    public Optional<Instant> lastSeen(String agent) {
        return Optional.ofNullable(seen.get(agent)).map(Seen::ts);
    }

    /** Forgets agents no longer in the org. */
    public void retain(Set<String> agents) {
        seen.keySet().retainAll(agents);
    }
}
