package dev.orgmesh.agent.brain;

import java.time.Clock;
import java.util.List;

import dev.orgmesh.agent.artifact.ArtifactFile;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;

/**
 * What a handler may know about the message beyond its envelope.
 *
 * @param self the agent being driven
 * @param org the whole organization (chart, managers, teams)
 * @param source where the message came from: {@code dm}, {@code team}, {@code all}, {@code tasks},
 *        {@code events:<pattern>}, {@code heartbeat} or {@code ask}
 * @param delivery which delivery of this message this is, from 1 (a redelivery after a crash or a nak is above 1)
 * @param clock the runtime's clock (templates such as {@code {{now+2d}}} and deadlines are read on it)
 * @param artifacts the artifacts the message references, fetched into the workspace before the brain runs (one
 *        entry per reference; a reference that could not be fetched has no path and says why)
 * @param usage where the brain reports what its model calls spent (tokens, money)
 * @param actions where the brain takes actions while it handles this message (the runtime's; {@link Actions#NONE}
 *        outside it)
 */
public record HandlerContext(Agent self, Org org, String source, long delivery, Clock clock,
        List<ArtifactFile> artifacts, UsageMeter usage, Actions actions) {

    public HandlerContext {
        clock = clock != null ? clock : Clock.systemUTC();
        usage = usage != null ? usage : new UsageMeter();
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
        actions = actions != null ? actions : Actions.NONE;
    }

    public HandlerContext(Agent self, Org org, String source, long delivery, Clock clock,
            List<ArtifactFile> artifacts, UsageMeter usage) {
        this(self, org, source, delivery, clock, artifacts, usage, null);
    }

    public HandlerContext(Agent self, Org org, String source, long delivery, Clock clock,
            List<ArtifactFile> artifacts) {
        this(self, org, source, delivery, clock, artifacts, null);
    }

    /** A context on the system clock without artifacts. */
    public HandlerContext(Agent self, Org org, String source, long delivery) {
        this(self, org, source, delivery, Clock.systemUTC(), List.of());
    }

    /** This context with the fetched artifacts of the message. */
    public HandlerContext withArtifacts(List<ArtifactFile> fetched) {
        return new HandlerContext(self, org, source, delivery, clock, fetched, usage, actions);
    }

    /** This context with the actions of the message being handled. */
    public HandlerContext withActions(Actions acts) {
        return new HandlerContext(self, org, source, delivery, clock, artifacts, usage, acts);
    }
}
