package dev.orgmesh.agent.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ConsumerInfo;

import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Agent;

/**
 * The zero-token check (issue 6; agent-runtime/README.md, "Zero-token heartbeats"): on a heartbeat tick the brain is
 * woken only if there is something to do — messages waiting in the agent's inbox or its role's task queue, an unchecked
 * item of {@code HEARTBEAT.md} whose due time has passed, or a tick marked {@code "force": true}. Otherwise the tick is
 * acknowledged without calling the brain, and the skip is recorded (log line and the
 * {@code orgmesh.agent.heartbeat.skipped} counter).
 *
 * <p>A due item is a Markdown checklist line with a date or date-time after {@code due}:
 * {@code - [ ] rotate the staging keys (due 2026-11-21 09:00)}; a checked item ({@code - [x]}) is done. Times are
 * in the agent's time zone.
 */
public final class HeartbeatCheck {
    static final Pattern DUE_ITEM = Pattern.compile(
            "^\\s*[-*]\\s+\\[ \\]\\s+(.*?)\\bdue[: ]\\s*(\\d{4}-\\d{2}-\\d{2})(?:[T ](\\d{2}:\\d{2}))?.*$");

    private final JetStreamManagement jsm;
    private final Subjects subjects;
    private final Agent agent;
    private final Clock clock;
    private final ZoneId zone;
    private volatile Path checklist;

    public HeartbeatCheck(JetStreamManagement jsm, Subjects subjects, Agent agent, Clock clock, ZoneId zone) {
        this.jsm = jsm;
        this.subjects = subjects;
        this.agent = agent;
        this.clock = clock;
        this.zone = zone;
    }

    /** The workspace's {@code HEARTBEAT.md}, read on every tick (a brain or a person may add items). */
    public void checklist(Path file) {
        this.checklist = file;
    }

    /** Why the brain should wake for {@code tick}; empty when there is nothing to do. */
    Optional<String> reasonToWake(Envelope tick) {
        if (tick.extra().get("force") != null && tick.extra().get("force").asBoolean(false)) {
            return Optional.of("forced heartbeat");
        }
        long inbox = waiting(subjects.inboxStream(), Subjects.inboxConsumer(agent.id()));
        if (inbox > 0) {
            return Optional.of(inbox + " message(s) waiting in the inbox");
        }
        long tasks = waiting(subjects.tasksStream(), Subjects.tasksConsumer(agent.role()));
        if (tasks > 0) {
            return Optional.of(tasks + " task(s) waiting on " + subjects.tasks(agent.role()));
        }
        Optional<String> due = dueItem();
        if (due.isPresent()) {
            return Optional.of("HEARTBEAT.md item due: " + due.get());
        }
        return Optional.empty();
    }

    /** Messages of a durable not yet acknowledged: waiting to be fetched, or fetched and not done. */
    private long waiting(String stream, String durable) {
        try {
            ConsumerInfo ci = jsm.getConsumerInfo(stream, durable);
            return ci.getNumPending() + ci.getNumAckPending();
        } catch (IOException | JetStreamApiException e) {
            // not knowing is not "nothing to do": retry the tick a little later
            throw new TransientException("cannot read " + stream + "/" + durable + " for the heartbeat check: "
                    + e.getMessage());
        }
    }

    /** The first unchecked item of HEARTBEAT.md whose due time has passed. */
    Optional<String> dueItem() {
        Path file = checklist;
        if (file == null || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        for (String line : lines) {
            Matcher m = DUE_ITEM.matcher(line);
            if (!m.matches()) {
                continue;
            }
            try {
                LocalDateTime at = m.group(3) != null
                        ? LocalDateTime.parse(m.group(2) + "T" + m.group(3))
                        : LocalDate.parse(m.group(2)).atStartOfDay();
                if (!at.atZone(zone).toInstant().isAfter(now)) {
                    return Optional.of(line.strip());
                }
            } catch (DateTimeParseException e) {
                // not a date: not a due item
            }
        }
        return Optional.empty();
    }
}
