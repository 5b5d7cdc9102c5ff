package dev.orgmesh.protocol.org;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ScheduleTest {
    static final ZoneId NY = ZoneId.of("America/New_York");

    static Schedule every(Duration d, String hours, ZoneId tz) {
        return new Schedule(new HeartbeatSpec(true, d, null, hours == null ? null : ActiveHours.parse(hours), tz, "p"));
    }

    static Schedule cron(String expr, String hours, ZoneId tz) {
        return new Schedule(
                new HeartbeatSpec(true, null, expr, hours == null ? null : ActiveHours.parse(hours), tz, "p"));
    }

    static List<Slot> between(Schedule s, Instant from, Instant to) {
        List<Slot> out = new ArrayList<>();
        Optional<Slot> n = s.next(from);
        while (n.isPresent() && n.get().at().isBefore(to)) {
            out.add(n.get());
            n = s.next(n.get().at());
        }
        return out;
    }

    @Test
    void everyIsAlignedToTheEpochSoInstancesAgree() {
        Schedule s = every(Duration.ofMinutes(10), null, ZoneId.of("UTC"));
        Slot a = s.next(Instant.parse("2026-05-01T10:03:17Z")).orElseThrow();
        assertThat(a.at()).isEqualTo(Instant.parse("2026-05-01T10:10:00Z"));
        assertThat(s.next(Instant.parse("2026-05-01T10:09:59Z")).orElseThrow()).isEqualTo(a);
        assertThat(s.next(a.at()).orElseThrow().at()).isEqualTo(Instant.parse("2026-05-01T10:20:00Z"));
    }

    @Test
    void activeHoursInTheScheduleTimeZone() {
        Schedule s = every(Duration.ofHours(1), "06:00-22:00", NY);
        Instant dayStart = ZonedDateTime.of(2026, 5, 1, 0, 0, 0, 0, NY).toInstant();
        List<Slot> day = between(s, dayStart, dayStart.plus(Duration.ofDays(1)));
        assertThat(day).hasSize(16);
        assertThat(day.getFirst().at().atZone(NY).toLocalTime()).isEqualTo(LocalTime.of(6, 0));
        assertThat(day.getLast().at().atZone(NY).toLocalTime()).isEqualTo(LocalTime.of(21, 0));
        // 22:00 is outside; the next is 06:00 the following day
        Instant late = ZonedDateTime.of(2026, 5, 1, 21, 30, 0, 0, NY).toInstant();
        assertThat(s.next(late).orElseThrow().at()).isEqualTo(ZonedDateTime.of(2026, 5, 2, 6, 0, 0, 0, NY).toInstant());
    }

    @Test
    void windowWrappingMidnight() {
        Schedule s = every(Duration.ofHours(1), "22:00-02:00", ZoneId.of("UTC"));
        Instant day = Instant.parse("2026-05-01T00:00:00Z");
        assertThat(between(s, day.minusSeconds(1), day.plus(Duration.ofDays(1)))).extracting(x -> x.at().toString())
                .containsExactly("2026-05-01T00:00:00Z", "2026-05-01T01:00:00Z", "2026-05-01T22:00:00Z",
                        "2026-05-01T23:00:00Z");
    }

    @Test
    void cronFiveAndSixFieldsInTimeZone() {
        Schedule weekdays = cron("0 9 * * 1-5", null, NY);
        Instant fri = ZonedDateTime.of(2026, 5, 1, 10, 0, 0, 0, NY).toInstant(); // a Friday
        assertThat(weekdays.next(fri).orElseThrow().at())
                .isEqualTo(ZonedDateTime.of(2026, 5, 4, 9, 0, 0, 0, NY).toInstant());
        Schedule sixField = cron("30 0 9 * * MON-FRI", null, NY);
        assertThat(sixField.next(fri).orElseThrow().at())
                .isEqualTo(ZonedDateTime.of(2026, 5, 4, 9, 0, 30, 0, NY).toInstant());
    }

    @Test
    void springForwardNeitherSkipsNorDoubles() {
        // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; a daily 02:30 has no wall time that day
        Schedule daily = cron("30 2 * * *", null, NY);
        Instant from = ZonedDateTime.of(2026, 3, 7, 12, 0, 0, 0, NY).toInstant();
        List<Slot> slots = between(daily, from, from.plus(Duration.ofDays(3)));
        assertThat(slots).hasSize(3);
        assertThat(slots.get(0).at().atZone(NY).toLocalTime()).as("fires right after the gap")
                .isEqualTo(LocalTime.of(3, 30));
        // every 15 minutes across the gap: local slots 01:45 then 03:00, nothing lost between
        Schedule quarter = cron("*/15 * * * *", null, NY);
        Instant before = ZonedDateTime.of(2026, 3, 8, 1, 40, 0, 0, NY).toInstant();
        assertThat(between(quarter, before, before.plus(Duration.ofMinutes(30))))
                .extracting(x -> x.at().atZone(NY).toLocalTime())
                .containsExactly(LocalTime.of(1, 45), LocalTime.of(3, 0));
    }

    @Test
    void fallBackDoesNotDouble() {
        // 2026-11-01 in New York: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice on the wall clock
        Schedule daily = cron("30 1 * * *", null, NY);
        Instant from = ZonedDateTime.of(2026, 10, 31, 12, 0, 0, 0, NY).toInstant();
        List<Slot> slots = between(daily, from, from.plus(Duration.ofDays(3)));
        assertThat(slots).hasSize(3);
        assertThat(new HashSet<>(slots.stream().map(Slot::id).toList())).hasSize(3);
        assertThat(slots.get(0).at()).as("the first 01:30 (EDT)").isEqualTo(Instant.parse("2026-11-01T05:30:00Z"));
        // hourly across the repeated hour: one tick per wall-clock hour
        Schedule hourly = cron("0 * * * *", null, NY);
        Instant midnight = ZonedDateTime.of(2026, 11, 1, 0, 0, 0, 0, NY).toInstant();
        List<Slot> day = between(hourly, midnight.minusSeconds(1),
                ZonedDateTime.of(2026, 11, 2, 0, 0, 0, 0, NY).toInstant());
        assertThat(day).hasSize(24);
        assertThat(new HashSet<>(day.stream().map(Slot::id).toList())).hasSize(24);
    }

    @Test
    void intervalsAcrossDstAreEvenlySpaced() {
        Schedule s = every(Duration.ofHours(1), null, NY);
        Instant from = ZonedDateTime.of(2026, 3, 8, 0, 0, 0, 0, NY).toInstant();
        List<Slot> slots = between(s, from.minusSeconds(1), from.plus(Duration.ofHours(6)));
        assertThat(slots).hasSize(6);
        for (int i = 1; i < slots.size(); i++) {
            assertThat(Duration.between(slots.get(i - 1).at(), slots.get(i).at())).isEqualTo(Duration.ofHours(1));
        }
    }

    @Test
    void misfireOwesOnlyTheLatestSlot() {
        Schedule s = every(Duration.ofMinutes(1), null, ZoneId.of("UTC"));
        Instant last = Instant.parse("2026-05-01T10:00:00Z");
        Instant now = last.plus(Duration.ofMinutes(10)).plusSeconds(20);
        assertThat(s.latestDue(last, now).orElseThrow().at()).isEqualTo(Instant.parse("2026-05-01T10:10:00Z"));
        assertThat(s.latestDue(now, now)).isEmpty();
    }

    @Test
    void disabledHasNoSlots() {
        Schedule off = new Schedule(new HeartbeatSpec(false, Duration.ofMinutes(5), null, null, NY, "p"));
        assertThat(off.next(Instant.now())).isEmpty();
    }
}
