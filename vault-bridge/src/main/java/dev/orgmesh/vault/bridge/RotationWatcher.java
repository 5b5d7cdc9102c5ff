package dev.orgmesh.vault.bridge;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.vault.policy.SecretPolicy;
import dev.orgmesh.vault.store.SecretBackend;
import dev.orgmesh.vault.store.SecretPath;

/**
 * Notices changed secrets and announces them: every {@code interval} it reads the current version of every path
 * some agent may read (versions only, never values) and reports each change to the {@link AuditSink}, which
 * publishes {@code {co}.events.secret.rotated}; runtimes that hold the secret fetch it again. The first poll only
 * learns the versions. Works the same for the embedded store (changed by {@code orgmesh secrets put}) and for Vault
 * (changed by anyone).
 */
public final class RotationWatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RotationWatcher.class);

    private final SecretBackend backend;
    private final Supplier<SecretPolicy> policy;
    private final AuditSink sink;
    private final Map<SecretPath, Integer> known = new HashMap<>();
    private boolean primed;
    private ScheduledExecutorService timer;

    public RotationWatcher(SecretBackend backend, Supplier<SecretPolicy> policy, AuditSink sink) {
        this.backend = backend;
        this.policy = policy;
        this.sink = sink;
    }

    /** Polls now and then every {@code interval}. */
    public synchronized RotationWatcher start(Duration interval) {
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("vault-rotation").factory());
        timer.scheduleWithFixedDelay(this::pollQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (OrgmeshException e) {
            LOG.warnf("%s rotation check failed: %s", e.code().label(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf("OM-6004 rotation check failed: %s", e.getClass().getName());
        }
    }

    /** One check; returns how many changes it announced. */
    public synchronized int poll() {
        SecretPolicy p = policy.get();
        if (p == null) {
            return 0;
        }
        Set<SecretPath> watched = p.readablePaths();
        Map<SecretPath, Integer> now = backend.versions(watched);
        int changes = 0;
        if (primed) {
            Set<SecretPath> all = new HashSet<>(known.keySet());
            all.addAll(now.keySet());
            for (SecretPath path : all) {
                if (!watched.contains(path)) {
                    continue;
                }
                Integer before = known.get(path);
                Integer after = now.get(path);
                if (!Objects.equals(before, after)) {
                    int version = after == null ? 0 : after;
                    sink.rotated(new AuditSink.Rotation(path, version, p.readers(path)));
                    LOG.infof("secret %s changed: version %s -> %d", path, before == null ? "none" : before,
                            version);
                    changes++;
                }
            }
        }
        known.clear();
        known.putAll(now);
        primed = true;
        return changes;
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
