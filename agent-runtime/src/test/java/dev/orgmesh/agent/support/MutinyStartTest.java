package dev.orgmesh.agent.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

/**
 * Mutiny's first use in a JVM, from several threads at once, as several agent runtimes receiving their first
 * messages together do. Each round runs in a class loader of its own, so each is a first use: MicroProfile Context
 * Propagation's provider lookup is a static of that loader.
 */
class MutinyStartTest {
    private static final int ROUNDS = 10;
    private static final int THREADS = 8;

    @Test
    void concurrentFirstUsesAfterMutinyStartNeverFail() throws Exception {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            failures.addAll(inFreshLoader(Race.class.getName() + "$WithStart"));
        }
        assertThat(failures).as("first uses of Mutiny after MutinyStart.ensure(), %d rounds of %d threads", ROUNDS,
                THREADS).isEmpty();
    }

    @Test
    void withoutItTheRaceIsReal() throws Exception {
        // the check that the test above can fail: the same race without MutinyStart loses a thread's Uni
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < ROUNDS && failures.isEmpty(); i++) {
            failures.addAll(inFreshLoader(Race.class.getName()));
        }
        assertThat(failures).as("at least one round of %d threads racing to Mutiny's first use failed", THREADS)
                .isNotEmpty()
                .allSatisfy(f -> assertThat(f).contains("ContextManagerProvider already set"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> inFreshLoader(String race) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : cp.split(File.pathSeparator)) {
            urls.add(new File(entry).toURI().toURL());
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            // Mutiny and MicroProfile find their services through the context class loader; the racing threads
            // inherit it
            ClassLoader before = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(loader);
            try {
                Callable<List<String>> r = (Callable<List<String>>) Class.forName(race, true, loader)
                        .getDeclaredConstructor().newInstance();
                return r.call();
            } finally {
                Thread.currentThread().setContextClassLoader(before);
            }
        }
    }

    /** {@link #THREADS} threads create their first {@code Uni} at once; returns what each that failed threw. */
    public static class Race implements Callable<List<String>> {
        protected void before() {
        }

        @Override
        public List<String> call() throws Exception {
            before();
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<String> failed = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        Uni.createFrom().item(() -> 1).await().indefinitely();
                    } catch (Exception e) {
                        failed.add(e.toString());
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            return failed;
        }

        /** The same, after {@link MutinyStart#ensure()} on this thread. */
        public static class WithStart extends Race {
            @Override
            protected void before() {
                MutinyStart.ensure();
            }
        }
    }
}
