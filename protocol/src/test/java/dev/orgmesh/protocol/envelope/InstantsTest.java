package dev.orgmesh.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InstantsTest {

    @Test
    void readsWhatInstantWritesExactlyAsInstantParseDoes() {
        SplittableRandom random = new SplittableRandom(42);
        long from = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
        long to = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 100_000; i++) {
            int nanos = switch (i % 4) {
                case 0 -> 0; // ...:00Z
                case 1 -> random.nextInt(1000) * 1_000_000; // millis
                case 2 -> random.nextInt(1_000_000) * 1_000; // micros
                default -> random.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(random.nextLong(from, to + 1), nanos);
            String text = t.toString();
            assertThat(Instants.parse(text)).as(text).isEqualTo(t).isEqualTo(Instant.parse(text));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-04-05T14:03:00Z", "2026-04-05T14:03:00.1Z", "2026-04-05T14:03:00.123456789Z",
            "2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
            // not the quick form: the general parser's answer
            "2026-04-05T14:03:00+02:00", "2026-04-05T16:03:00.5-01:30", "+10000-01-01T00:00:00Z",
            "2026-06-30T23:59:60Z", "2026-04-05t14:03:00z", "2026-04-05T14:03Z"})
    void agreesWithInstantParseOnEveryForm(String text) {
        Instant expected;
        try {
            expected = Instant.parse(text);
        } catch (DateTimeParseException e) {
            assertThatThrownBy(() -> Instants.parse(text)).isInstanceOf(DateTimeParseException.class);
            return;
        }
        assertThat(Instants.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z", "2026-04-31T00:00:00Z", "2026-04-05T14:60:00Z", "2026-04-05T14:03:61Z",
            "2026-04-05T14:03:00.1234567890Z",
            "2026-04-05 14:03:00Z", "2026-04-05T14:03:00", "2026-0a-05T14:03:00Z", "２026-04-05T14:03:00Z", "",
            "yesterday"})
    void refusesWhatInstantParseRefuses(String text) {
        assertThatThrownBy(() -> Instant.parse(text)).isInstanceOf(DateTimeParseException.class);
        assertThatThrownBy(() -> Instants.parse(text)).isInstanceOf(DateTimeParseException.class);
    }
}
