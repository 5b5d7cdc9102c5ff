package dev.orgmesh.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** The handled bucket's value: what one runtime writes, another reads; anything else still means handled. */
class HandledTest {
    @Test
    void roundTripsAndReadsAnyValueAsHandled() {
        Handled h = Handled.of("dev1", Instant.parse("2026-03-14T12:00:00Z"));
        assertThat(new String(h.encode(), StandardCharsets.UTF_8))
                .isEqualTo("{\"by\":\"dev1\",\"at\":\"2026-03-14T12:00:00Z\"}");
        assertThat(Handled.decode(h.encode())).isEqualTo(h);

        assertThat(Handled.decode(new byte[0])).isEqualTo(Handled.UNKNOWN);
        assertThat(Handled.decode(null)).isEqualTo(Handled.UNKNOWN);
        assertThat(Handled.decode("done by hand".getBytes(StandardCharsets.UTF_8))).isEqualTo(Handled.UNKNOWN);
        assertThat(Handled.decode("{\"by\":\"dev2\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Handled("dev2", "?"));
    }
}
