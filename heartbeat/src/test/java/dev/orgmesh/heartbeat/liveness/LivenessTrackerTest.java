package dev.orgmesh.heartbeat.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.orgmesh.heartbeat.liveness.LivenessTracker.Transition;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Presence.Liveness;

class LivenessTrackerTest {
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");

    static Presence beacon(String agent, Instant ts) {
        return new Presence(agent, ts, 1000, "up");
    }

    @Test
    void downOnceAfterThreeMissedIntervalsThenUpOnReturn() {
        LivenessTracker t = new LivenessTracker();
        assertThat(t.observe(beacon("a", T0), T0)).as("first sight is not an event").isEmpty();
        assertThat(t.state("a")).isEqualTo(Liveness.UP);
        assertThat(t.check(T0.plusMillis(2999))).isEmpty();
        assertThat(t.check(T0.plusMillis(3001))).containsExactly(new Transition("a", Liveness.DOWN, T0));
        assertThat(t.check(T0.plusSeconds(10))).as("one transition per episode, not one per check").isEmpty();
        Instant back = T0.plusSeconds(20);
        assertThat(t.observe(beacon("a", back), back)).contains(new Transition("a", Liveness.UP, back));
        assertThat(t.observe(beacon("a", back.plusSeconds(1)), back.plusSeconds(1))).isEmpty();
    }

    @Test
    void staleFirstBeaconIsDownWithoutPagingThenUpWhenItReturns() {
        LivenessTracker t = new LivenessTracker();
        Instant now = T0.plus(Duration.ofMinutes(5));
        assertThat(t.observe(beacon("a", T0), now)).isEmpty();
        assertThat(t.state("a")).isEqualTo(Liveness.DOWN);
        assertThat(t.check(now)).isEmpty();
        assertThat(t.observe(beacon("a", now), now)).contains(new Transition("a", Liveness.UP, now));
    }

    @Test
    void stoppingIsDownAtOnceAndOldBeaconsAreIgnored() {
        LivenessTracker t = new LivenessTracker();
        t.observe(beacon("a", T0), T0);
        Instant stop = T0.plusSeconds(1);
        assertThat(t.observe(new Presence("a", stop, 1000, "stopping"), stop))
                .contains(new Transition("a", Liveness.DOWN, stop));
        assertThat(t.observe(beacon("a", T0), stop)).as("an older beacon changes nothing").isEmpty();
        assertThat(t.state("a")).isEqualTo(Liveness.DOWN);
        assertThat(t.state("never")).isEqualTo(Liveness.UNKNOWN);
    }
}
