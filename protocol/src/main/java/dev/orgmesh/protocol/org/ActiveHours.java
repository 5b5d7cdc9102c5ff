package dev.orgmesh.protocol.org;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;

/**
 * A daily window, in the schedule's time zone, outside which heartbeats do not fire. A window may wrap past
 * midnight ({@code 22:00-06:00}). The end is exclusive.
 *
 * @param start first minute inside the window
 * @param end first minute after the window
 */
public record ActiveHours(LocalTime start, LocalTime end) {
    /** Parses {@code HH:MM-HH:MM}; throws {@link IllegalArgumentException} naming the expected form. */
    public static ActiveHours parse(String text) {
        String[] parts = text == null ? new String[0] : text.split("-", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not of the form HH:MM-HH:MM");
        }
        try {
            LocalTime s = LocalTime.parse(parts[0].trim());
            LocalTime e = LocalTime.parse(parts[1].trim());
            if (s.equals(e)) {
                throw new IllegalArgumentException("'" + text + "' is an empty window (start equals end)");
            }
            return new ActiveHours(s, e);
        } catch (DateTimeParseException ex) {
            throw new IllegalArgumentException("'" + text + "' is not of the form HH:MM-HH:MM");
        }
    }

    /** Whether {@code t} falls inside the window. */
    public boolean contains(LocalTime t) {
        if (start.isBefore(end)) {
            return !t.isBefore(start) && t.isBefore(end);
        }
        return !t.isBefore(start) || t.isBefore(end);
    }

    @Override
    public String toString() {
        return start + "-" + end;
    }
}
