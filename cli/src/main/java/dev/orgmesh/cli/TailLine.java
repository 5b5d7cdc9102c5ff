package dev.orgmesh.cli;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/** One message as a line for {@code orgmesh tail}, and the filters it applies. */
final class TailLine {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    record Filter(String team, String agent, String thread, boolean heartbeats) {
        boolean accepts(String company, String subject, Envelope e) {
            if (!heartbeats
                    && (subject.startsWith(company + ".heartbeat.") || subject.startsWith(company + ".presence."))) {
                return false;
            }
            Subjects s = Subjects.of(company);
            String contract = s.attribution(subject).map(Subjects.Attribution::contract).orElse(subject);
            if (team != null && !contract.equals(company + "." + team)) {
                return false;
            }
            if (agent != null
                    && !(agent.equals(e.from()) || agent.equals(e.to()) || contract.equals(company + ".dm." + agent))) {
                return false;
            }
            return thread == null || thread.equals(e.thread()) || thread.equals(e.id()) || thread.equals(e.re());
        }
    }

    private TailLine() {
    }

    /** The line for a message, or {@code null} when the filter drops it. Undecodable bodies are shown as such. */
    static String format(String company, String subject, byte[] body, Filter filter, Instant now) {
        return format(company, subject, body, filter, now, 0);
    }

    /**
     * As {@link #format(String, String, byte[], Filter, Instant)}, for a message read from the audit stream at
     * {@code seq} (shown as {@code #seq} after the time, so a later {@code tail --from-seq} can resume there); no
     * sequence is shown when {@code seq} is 0 (a live message, which no stream has numbered yet).
     */
    static String format(String company, String subject, byte[] body, Filter filter, Instant now, long seq) {
        String at = seq > 0 ? "#" + seq + " " : "";
        Envelope e;
        try {
            e = EnvelopeCodec.decode(body);
        } catch (OrgmeshException ex) {
            return filter.team() == null && filter.agent() == null && filter.thread() == null
                    ? String.format("%s %s%-28s !! %s (%d bytes)", TIME.format(now), at, subject, ex.getMessage(),
                            body == null ? 0 : body.length)
                    : null;
        }
        if (!filter.accepts(company, subject, e)) {
            return null;
        }
        String what = e.subject() != null
                ? e.subject()
                : e.summary() != null ? e.summary() : e.context() != null ? e.context() : "";
        if (what.length() > 80) {
            what = what.substring(0, 77) + "...";
        }
        // the sender shown is the true one, the subject's sender token (ADR 0010); a differing claim is flagged
        String real = Subjects.of(company).attribution(subject).map(Subjects.Attribution::sender).orElse(null);
        String from = real == null || real.equals(e.from())
                ? String.valueOf(e.from())
                : real + " (claims " + e.from() + ")";
        return String.format("%s %s%-28s %s → %s [%s%s] %s%s", TIME.format(e.ts() != null ? e.ts() : now), at,
                subject,
                from, AuditCommand.recipient(Subjects.of(company), subject, e), e.type(),
                e.status() != null ? "/" + e.status() : "", what,
                e.re() != null ? "  (re " + e.re() + ")" : "");
    }
}
