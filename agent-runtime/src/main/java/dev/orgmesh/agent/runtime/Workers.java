package dev.orgmesh.agent.runtime;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The virtual threads the pipeline runs on. After {@link #stop()} new work still gets a thread of its own (it only
 * settles what was in flight, which a stopped pipeline turns into nothing), so a message finishing during shutdown
 * never loses its completion to a rejected task.
 */
final class Workers implements Executor {
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
    void stop(boolean now) {
        if (now) {
            pool.shutdownNow();
        } else {
            pool.shutdown();
        }
    }
}
