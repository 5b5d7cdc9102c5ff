package dev.orgmesh.agent.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/** Which copy of a direct message is worked and how the other is settled, without a server. */
class FastLaneTest {

    @Test
    void theFirstCopyClaimsTheIdAndTheInboxCopyAdoptsWhatTheCoreCopyCameTo() {
        FastLane<String> lane = new FastLane<>(4, 100);
        CompletableFuture<String> ticket = lane.claimFast("m1");
        assertThat(ticket).as("the core copy came first").isNotNull();
        assertThat(lane.claimFast("m1")).as("a second core copy (a publish retried) is dropped").isNull();

        CompletableFuture<String> adopted = lane.claimStream("m1");
        assertThat(adopted).as("the inbox copy adopts the core copy's settlement").isSameAs(ticket);
        assertThat(lane.claimFast("m1")).as("a retried publish's core copy while the first is still worked").isNull();
        assertThat(adopted).isNotDone();
        assertThat(lane.pending()).as("adopted: nothing left for a graceful stop to wait for").isZero();

        lane.done("m1", ticket, "ack");
        assertThat(adopted).isCompletedWithValue("ack");
        assertThat(lane.working()).isZero();
        assertThat(lane.claimed()).isZero();
    }

    @Test
    void aCoreCopyFinishedBeforeItsInboxCopyArrivedIsAdoptedLater() {
        FastLane<String> lane = new FastLane<>(4, 100);
        CompletableFuture<String> ticket = lane.claimFast("m1");
        lane.done("m1", ticket, "nak 250ms");
        assertThat(lane.pending()).as("its inbox copy is still to come").isEqualTo(1);
        assertThat(lane.claimStream("m1")).isCompletedWithValue("nak 250ms");
        assertThat(lane.claimed()).isZero();
    }

    @Test
    void aCoreCopyLeftToTheInboxIsWorkedFromThereWhetherItsInboxCopyCameBeforeOrAfter() {
        FastLane<String> lane = new FastLane<>(4, 100);
        CompletableFuture<String> early = lane.claimFast("early");
        CompletableFuture<String> adopted = lane.claimStream("early");
        lane.done("early", early, null);
        assertThat(adopted).as("waiting inbox copy: told to work it itself").isCompletedWithValue(null);

        CompletableFuture<String> late = lane.claimFast("late");
        lane.done("late", late, null);
        assertThat(lane.claimStream("late")).as("a later inbox copy finds no claim: it is worked, and claims it")
                .isNull();
        assertThat(lane.claimFast("late")).as("so a core copy arriving now is dropped").isNull();
        lane.release("late");
        assertThat(lane.claimed()).isZero();
    }

    @Test
    void aFreshInboxCopyWaitsBrieflyForItsCoreCopy() throws Exception {
        FastLane<String> lane = new FastLane<>(4, 100);
        CompletableFuture<CompletableFuture<String>> adopted = CompletableFuture.supplyAsync(
                () -> lane.claimStream("m1", java.util.concurrent.TimeUnit.SECONDS.toNanos(5)));
        Thread.onSpinWait();
        CompletableFuture<String> ticket = lane.claimFast("m1");
        assertThat(ticket).as("the core copy, handed to its thread a moment later, still claims it").isNotNull();
        assertThat(adopted.get(5, java.util.concurrent.TimeUnit.SECONDS)).as("and the inbox copy adopts it")
                .isSameAs(ticket);
        assertThat(lane.claimStream("other", 1_000_000)).as("no core copy: worked after the wait").isNull();
    }

    @Test
    void anInboxCopyFirstKeepsTheCoreCopyOutUntilItIsSettled() {
        FastLane<String> lane = new FastLane<>(4, 100);
        assertThat(lane.claimStream("m1")).isNull();
        assertThat(lane.claimFast("m1")).isNull();
        lane.release("m1");
        assertThat(lane.claimed()).isZero();
        assertThat(lane.claimFast("m1")).as("a new core copy after the release (a redelivery's) may claim it")
                .isNotNull();
    }

    @Test
    void coreCopiesBeyondTheFastSlotsAreDroppedAndClaimsAreBounded() {
        FastLane<String> lane = new FastLane<>(2, 3);
        CompletableFuture<String> a = lane.claimFast("a");
        CompletableFuture<String> b = lane.claimFast("b");
        assertThat(lane.claimFast("c")).as("both slots busy: left to the inbox").isNull();
        long t0 = System.nanoTime();
        assertThat(lane.claimStream("c", java.util.concurrent.TimeUnit.SECONDS.toNanos(5)))
                .as("its inbox copy is worked").isNull();
        assertThat(System.nanoTime() - t0).as("without waiting for a core copy that was passed over")
                .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(1));
        lane.release("c");
        lane.done("a", a, "ack");
        lane.done("b", b, "ack");
        CompletableFuture<String> c = lane.claimFast("c");
        lane.done("c", c, "ack");
        CompletableFuture<String> d = lane.claimFast("d");
        lane.done("d", d, "ack");
        assertThat(lane.claimed()).as("at most the capacity is remembered, oldest out").isEqualTo(3);
        assertThat(lane.claimStream("a")).as("evicted: its inbox copy is worked (the runtime's recent ids skip it)")
                .isNull();
    }
}
