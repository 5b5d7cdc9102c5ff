package dev.orgmesh.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded polling for server state that is only observable from outside (monitoring endpoints). */
final class Polling {

    private static final long INTERVAL_MILLIS = 50;

    private Polling() {
    }

    /**
     * Returns once {@code condition} holds; throws {@link IllegalStateException} naming {@code what} and the
     * {@code diagnostics} if it does not hold within {@code timeout}.
     */
    static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not happen within " + timeout + "\n" + diagnostics.get());
            }
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting until " + what, e);
            }
        }
    }
}
