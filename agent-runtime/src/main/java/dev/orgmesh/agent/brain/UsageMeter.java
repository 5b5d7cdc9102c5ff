package dev.orgmesh.agent.brain;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What one brain call spent, as the brain reports it: model tokens and money (micro-dollars). The runtime reserves
 * budget before the call and settles it to these figures afterwards (docs/oversight.md).
 */
public final class UsageMeter {
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong microUsd = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();

    /** Records one model call. */
    public void add(long tokens, long microUsd) {
        this.tokens.addAndGet(Math.max(0, tokens));
        this.microUsd.addAndGet(Math.max(0, microUsd));
        calls.incrementAndGet();
    }

    public long tokens() {
        return tokens.get();
    }

    public long microUsd() {
        return microUsd.get();
    }

    public long calls() {
        return calls.get();
    }
}
