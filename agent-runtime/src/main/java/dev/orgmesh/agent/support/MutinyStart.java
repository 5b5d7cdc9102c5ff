package dev.orgmesh.agent.support;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

/**
 * Makes Mutiny's first use in this JVM happen on one thread, before any pipeline runs.
 *
 * <p>Mutiny decorates every {@code Uni} it creates through the context-propagation interceptor when SmallRye Context
 * Propagation is on the class path (it is, through Quarkus). The interceptor's first call looks up MicroProfile's
 * {@code ContextManagerProvider.instance()}, which (API 1.3) is a check-then-act: two threads that both find no
 * provider both load one, and the loser's {@code compareAndSet} fails with {@code IllegalStateException:
 * ContextManagerProvider already set}. Outside a Quarkus application (which registers the provider at boot) two
 * runtimes receiving their first messages at the same moment hit it: the exception came out of
 * {@code Uni.createFrom()} in {@code Intake.onJetStream} after the message's in-progress timer had started, so the
 * message was kept in progress and never handled — the "delivery stall" of docs/reliability.md.
 *
 * <p>The first call here runs under the class's initialisation lock, which the JVM holds for one thread at a time;
 * a provider set meanwhile by code that does not come through here makes the first attempt fail once, and the second
 * then finds it. It creates its {@code Uni} from a supplier, as the pipeline does: a constant item is not decorated
 * and would not set anything up. {@code MutinyStartTest} races eight threads to a first use in fresh class loaders:
 * without this, a round loses at least one of them; with it, none.
 */
public final class MutinyStart {
    private static final Logger LOG = Logger.getLogger(MutinyStart.class);

    static {
        try {
            Uni.createFrom().item(() -> Boolean.TRUE).await().indefinitely();
        } catch (IllegalStateException raced) {
            LOG.debugf("context propagation was being set up by another thread: %s", raced.getMessage());
            Uni.createFrom().item(() -> Boolean.TRUE).await().indefinitely();
        }
    }

    private MutinyStart() {
    }

    /** Returns once Mutiny's first {@code Uni} was created in this JVM (at most once, on one thread). */
    public static void ensure() {
        // the work is in the static initialiser
    }
}
