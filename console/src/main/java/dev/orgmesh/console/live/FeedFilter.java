package dev.orgmesh.console.live;

/**
 * What the operator asked the feed to show; every given field must match, blank fields match everything.
 *
 * @param team a team id: the message is on its channel, or from or to one of its agents
 * @param agent a member id: the message is from or to it, or on a subject of its own (DM, ask, heartbeat)
 * @param thread a thread id: the message's thread, id or {@code re} is it
 */
public record FeedFilter(String team, String agent, String thread) {
    public static final FeedFilter ALL = new FeedFilter(null, null, null);

    public FeedFilter {
        team = blankToNull(team);
        agent = blankToNull(agent);
        thread = blankToNull(thread);
    }

    public boolean matches(FeedEntry e) {
        if (team != null && !e.teams().contains(team)) {
            return false;
        }
        if (agent != null && !e.members().contains(agent)) {
            return false;
        }
        return thread == null || thread.equals(e.thread()) || thread.equals(e.id()) || thread.equals(e.re());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
