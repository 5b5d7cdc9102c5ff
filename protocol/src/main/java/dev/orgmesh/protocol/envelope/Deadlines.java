package dev.orgmesh.protocol.envelope;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reads the {@code deadline} field. The seed writes a date ({@code 2026-04-07}); machines write instants. A date
 * means the end of that day in the receiving agent's time zone, which is when a person would say it is late.
 */
public final class Deadlines {
    private Deadlines() {
    }

    /**
     * The instant a deadline falls due, or empty when the text is none of: an ISO instant, an offset date-time, a
     * local date-time or a date.
     */
    public static Optional<Instant> parse(String deadline, ZoneId zone) {
        if (deadline == null || deadline.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instants.parse(deadline));
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return Optional.of(OffsetDateTime.parse(deadline).toInstant());
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return Optional.of(LocalDateTime.parse(deadline).atZone(zone).toInstant());
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return Optional.of(LocalDate.parse(deadline).plusDays(1).atStartOfDay(zone).toInstant());
        } catch (DateTimeParseException ignored) {
            return Optional.empty();
        }
    }
}
