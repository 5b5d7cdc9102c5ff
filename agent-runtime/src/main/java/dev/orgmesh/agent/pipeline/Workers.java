package dev.orgmesh.agent.pipeline;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The virtual threads the pipeline runs on. After {@link #stop()} new work still gets a thread of its own (it only
 * settles what was in flight, which a stopped pipeline turns into nothing), so a message finishing during shutdown
 * never loses its completion to a rejected task.
 */
public final class Workers implements Executor {
    private static final ThreadLocal<Boolean> ON_WORKER = new ThreadLocal<>();

    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @Override
    public void execute(Runnable task) {
        Runnable marked = () -> {
            ON_WORKER.set(Boolean.TRUE);
            task.run();
        };
        try {
            pool.execute(marked);
        } catch (RejectedExecutionException e) {
            Thread.ofVirtual().name("agent-late").start(marked);
        }
    }

    /** Whether the calling thread is one of a pipeline's virtual threads (where blocking is fine). */
    static boolean onWorker() {
        return ON_WORKER.get() != null;
    }

    /** Interrupts running work (a crash) when {@code now}, else lets it finish. */
    public void stop(boolean now) {
        if (now) {
            pool.shutdownNow();
        } else {
            pool.shutdown();
        }
    }

    /**
     * The runtime's timer: every message schedules its handler timeout (15 min by default), its keep-alive and, with
     * outputs, its outbox wait, and cancels them when it is done. A cancelled task leaves the queue at once: kept
     * until its time, each would hold its message for up to 15 minutes (hundreds of thousands of them at a thousand
     * messages a second).
     */
    public static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
                Thread.ofVirtual().name("agent-timer").factory());
        t.setRemoveOnCancelPolicy(true);
        return t;
    }
}
