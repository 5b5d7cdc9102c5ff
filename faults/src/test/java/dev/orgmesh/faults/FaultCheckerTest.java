package dev.orgmesh.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class FaultCheckerTest {

    @Test
    void countsSentAckedDeliveredDuplicatedAndLostPerFaultAndKind() {
        FaultChecker c = new FaultChecker();
        c.sent("kill", "task", "t1");
        c.sent("kill", "task", "t2");
        c.sent("kill", "task", "t3");
        c.sent("kill", "task", "t4");
        c.sent("kill", "dm", "d1");
        c.acked("t1");
        c.acked("t2");
        c.acked("t3");
        c.acked("d1");
        c.handed("t1", "a#1");
        c.completed("t1", "a#1");
        c.handed("t2", "a#1");
        c.handed("t2", "a#1"); // the same live runtime twice: should have been absorbed
        c.handed("t4", "b#1"); // never acknowledged to its sender, delivered anyway

        List<FaultChecker.Row> rows = c.rows();
        assertThat(rows).containsExactly(
                new FaultChecker.Row("kill", "task", 4, 3, 3, 1, 0, 0, 1, 1, 0),
                new FaultChecker.Row("kill", "dm", 1, 1, 0, 0, 0, 0, 1, 0, 0));
        assertThat(rows.getFirst().duplicatedUnexplained()).isEqualTo(1);
        assertThat(c.outstanding()).isEqualTo(2); // t3 and d1
    }

    @Test
    void aDuplicateAfterTheFirstBrainWasKilledMidMessageIsCountedAsAfterACrash() {
        FaultChecker c = new FaultChecker();
        c.sent("agents", "task", "t1");
        c.sent("agents", "task", "t2");
        c.acked("t1");
        c.acked("t2");
        c.handed("t1", "a#1");
        c.handed("t2", "a#1");
        c.completed("t2", "a#1");
        c.killed("a#1");
        c.handed("t1", "b#1"); // redelivered: a#1 died before its ack
        c.handed("t2", "b#1"); // a#1 had completed t2, yet a peer got it: a shared queue redelivered it
        c.handed("t2", "b#1"); // the same runtime twice: the runtime should have absorbed it

        FaultChecker.Row row = c.rows().getFirst();
        assertThat(row.duplicatedToBrain()).isEqualTo(3);
        assertThat(row.duplicatedAfterCrash()).isEqualTo(1);
        assertThat(row.duplicatedToPeer()).isEqualTo(1);
        assertThat(row.duplicatedUnexplained()).isEqualTo(1);
        assertThat(row.lost()).isZero();
        assertThat(c.duplicates()).containsExactly(
                new FaultChecker.Duplicate("agents", "task", "t1", List.of("a#1", "b#1"), List.of()),
                new FaultChecker.Duplicate("agents", "task", "t2", List.of("a#1", "b#1", "b#1"), List.of("a#1")));
    }

    @Test
    void requestsAreLostWhenNeverAnsweredAndTicksPassedOverAreNotLost() {
        FaultChecker c = new FaultChecker();
        c.request("vault", "secret", "r1");
        c.request("vault", "secret", "r2");
        c.acked("r1");
        c.handed("r1", "client");
        c.sent("vault", "heartbeat", "hb-a-1");
        c.sent("vault", "heartbeat", "hb-a-2");
        c.acked("hb-a-1");
        c.acked("hb-a-2");
        c.passedOver("hb-a-1");
        c.handed("hb-a-2", "a#1");
        c.owed("vault", "heartbeat", 3);

        assertThat(c.rows()).containsExactly(
                new FaultChecker.Row("vault", "secret", 2, 1, 1, 0, 0, 0, 1, 0, 0),
                new FaultChecker.Row("vault", "heartbeat", 3, 2, 1, 0, 0, 0, 0, 0, 1));
        assertThat(FaultChecker.markdown(c.rows()))
                .contains("| vault | heartbeat | 3 | 2 | 1 | 0 (0 / 0) | 0 | 0 | 1 |");
    }

    @Test
    void anIdIsSentOnce() {
        FaultChecker c = new FaultChecker();
        c.sent("f", "task", "x");
        assertThatThrownBy(() -> c.sent("f", "task", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.acked("y")).isInstanceOf(IllegalArgumentException.class);
    }
}
