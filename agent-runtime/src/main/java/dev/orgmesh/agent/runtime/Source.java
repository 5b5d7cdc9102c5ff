package dev.orgmesh.agent.runtime;

import java.util.ArrayList;
import java.util.List;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Agent;

/**
 * One durable an agent reads (docs/architecture.md, "JetStream assets of a company"): its DM inbox, its team and
 * company channels, its role's shared task queue, the events it follows and its heartbeat ticks. The durables exist
 * once the org's assets are applied; the runtime only binds to them.
 *
 * @param name {@code dm}, {@code team}, {@code all}, {@code tasks}, {@code events:<pattern>} or {@code heartbeat}
 * @param stream the stream holding the durable
 * @param durable the durable consumer
 */
public record Source(String name, String stream, String durable) {

    /** Every source of {@code agent}, in the order they are bound. */
    public static List<Source> of(Subjects s, Agent agent) {
        List<Source> out = new ArrayList<>();
        out.add(new Source("dm", s.inboxStream(), Subjects.inboxConsumer(agent.id())));
        out.add(new Source("team", s.channelsStream(), Subjects.teamConsumer(agent.id())));
        out.add(new Source("all", s.channelsStream(), Subjects.allConsumer(agent.id())));
        out.add(new Source("tasks", s.tasksStream(), Subjects.tasksConsumer(agent.role())));
        for (String pattern : agent.events()) {
            out.add(new Source("events:" + pattern, s.eventsStream(), Subjects.eventsConsumer(agent.id(), pattern)));
        }
        out.add(new Source("heartbeat", s.heartbeatStream(), Subjects.heartbeatConsumer(agent.id())));
        return out;
    }
}
