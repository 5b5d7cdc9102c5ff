package dev.orgmesh.console.live;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;

/**
 * One message seen on {@code {co}.>}, as the feed shows it. Envelopes are decoded with {@link EnvelopeCodec}; anything
 * else (a plain {@code nats pub}, a request body) is shown as text with why it did not decode.
 *
 * @param seq the console's own running number, so the page can tell new entries from ones it has
 * @param received when the console received it
 * @param subject the NATS subject
 * @param channel what kind of subject: {@code all}, {@code team}, {@code dm}, {@code tasks}, {@code events},
 *        {@code heartbeat}, {@code ask}, {@code human}, {@code dlq}, {@code org}, {@code vault} or {@code other}
 * @param id envelope id
 * @param from the true sender: the sender token of the subject the hub carried it on (ADR 0010), else the envelope's
 *        {@code from}
 * @param claimedFrom the envelope's {@code from} when it is not the true sender (a forgery), else null
 * @param to recipient as written
 * @param type envelope type
 * @param title envelope subject line (or summary)
 * @param thread the conversation it belongs to
 * @param re what it answers
 * @param teams the teams it concerns: its channel, the sender's and the recipients' teams
 * @param members the members it concerns: sender, recipient, and the member named by the subject
 * @param body the body as text, cut at {@value #MAX_BODY} characters
 * @param problem why the body is not an envelope; null when it is
 */
public record FeedEntry(long seq, Instant received, String subject, String channel, String id, String from,
        String claimedFrom, String to, String type, String title, String thread, String re, List<String> teams,
        List<String> members,
        String body, String problem) {

    /** Characters of a body the feed keeps. */
    public static final int MAX_BODY = 4000;

    private static final Set<String> MEMBER_SCOPES = Set.of("dm", "ask", "heartbeat", "presence", "vault");

    /** The entry for a message on {@code subject} with {@code data}, read against {@code org}. */
    public static FeedEntry of(long seq, Instant received, String subject, byte[] data, Org org) {
        String[] tokens = subject.split("\\.");
        String second = tokens.length > 1 ? tokens[1] : "";
        Set<String> teams = new LinkedHashSet<>();
        Set<String> members = new LinkedHashSet<>();
        String channel;
        if (second.equals("all")) {
            channel = "all";
        } else if (org.teams().containsKey(second)) {
            channel = "team";
            teams.add(second);
        } else if (second.equals("event")) {
            channel = "events";
        } else if (Set.of("dm", "tasks", "heartbeat", "ask", "human", "dlq", "org", "vault", "presence")
                .contains(second)) {
            channel = second;
        } else {
            channel = "other";
        }
        if (MEMBER_SCOPES.contains(second) && tokens.length > 2) {
            members.add(tokens[2]);
        }
        String real = org.subjects().attribution(subject).map(Subjects.Attribution::sender).orElse(null);
        String text = new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8);
        String body = text.length() > MAX_BODY ? text.substring(0, MAX_BODY) + "…" : text;
        Envelope e = null;
        String problem = null;
        try {
            e = EnvelopeCodec.decode(data == null ? new byte[0] : data);
        } catch (RuntimeException ex) {
            problem = ex.getMessage();
        }
        if (e == null) {
            addTeams(org, members, teams);
            return new FeedEntry(seq, received, subject, channel, null, real, null, null, null, null, null, null,
                    List.copyOf(teams), List.copyOf(members), body, problem);
        }
        String from = real != null ? real : e.from();
        if (from != null) {
            members.add(from);
        }
        if (e.to() != null) {
            String to = e.to();
            if (to.startsWith("team:")) {
                teams.add(to.substring(5));
            } else if (to.startsWith("role:")) {
                org.roleMembers(to.substring(5)).forEach(a -> teams.add(a.team()));
            } else if (!to.equals("all")) {
                members.add(to);
            }
        }
        addTeams(org, members, teams);
        String title = e.subject() != null ? e.subject() : e.summary();
        String claimed = real != null && !real.equals(e.from()) ? e.from() : null;
        return new FeedEntry(seq, received, subject, channel, e.id(), from, claimed, e.to(), e.type(), title,
                e.thread(),
                e.re(), List.copyOf(teams), List.copyOf(members), body, null);
    }

    private static void addTeams(Org org, Set<String> members, Set<String> teams) {
        for (String m : members) {
            org.agent(m).map(Agent::team).ifPresent(teams::add);
        }
    }
}
