package dev.orgmesh.agent.brain;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jboss.logging.Logger;

import dev.orgmesh.agent.artifact.ArtifactException;
import dev.orgmesh.agent.artifact.ArtifactFile;
import dev.orgmesh.agent.artifact.ArtifactRef;
import dev.orgmesh.agent.artifact.ArtifactStore;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.envelope.Envelope;

/**
 * Artifacts around a brain (it is itself a {@link Handler}, so the runtime still sees one interface):
 * <ol>
 * <li><b>before</b> — every reference in the message's {@code artifact_path} and {@code artifacts} is fetched into
 * the workspace ({@link Workspace#fileFor}); the brain gets the list, with a reason for each one that could not be
 * fetched (a missing artifact does not stop the work: the brain decides, as a person would);</li>
 * <li><b>after</b> — for every message the brain sends, each reference whose workspace file the brain wrote (it did
 * not come in with the message, or it changed) is published before the message is; a reference that is a path
 * relative to the workspace is published as {@code obj://{artifact bucket}/{agent}/{path}} and the message carries
 * that reference instead.</li>
 * </ol>
 * A store that cannot be reached (or answers 5xx, 429) makes the message a {@link TransientException}: it is
 * redelivered later. A store that refuses for a reason retrying will not fix ({@link ArtifactException} not
 * {@link ArtifactException#retryable() retryable}: credentials missing or refused, over the size limit) fails the
 * message with what the store said ({@link Outcome.Failed}: the manager is told); a refused fetch does so before the
 * brain runs.
 */
public final class ArtifactStage implements Handler {
    private static final Logger LOG = Logger.getLogger(ArtifactStage.class);

    private final Handler brain;
    private final Workspace workspace;
    private final ArtifactStore store;
    private final String bucket;

    /**
     * @param bucket the company's artifact bucket, for workspace paths the brain publishes
     */
    public ArtifactStage(Handler brain, Workspace workspace, ArtifactStore store, String bucket) {
        this.brain = brain;
        this.workspace = workspace;
        this.store = store;
        this.bucket = bucket;
    }

    @Override
    public boolean spendsBudget() {
        return brain.spendsBudget();
    }

    /**
     * Blocking when the brain is, or when {@code in} references artifacts (fetched before the brain runs). What the
     * brain answers is published only from files in the workspace its references name, which a brain that does not
     * block neither writes nor references.
     */
    @Override
    public boolean blocking(Envelope in) {
        return brain.blocking(in) || !references(in).isEmpty();
    }

    @Override
    public Outcome handle(Envelope in, HandlerContext ctx) throws Exception {
        Map<Path, byte[]> fetchedDigests = new HashMap<>();
        List<ArtifactFile> files;
        try {
            files = fetch(in, fetchedDigests);
        } catch (Refused r) {
            return Outcome.failed(r.getMessage());
        }
        Outcome decided = brain.handle(in, ctx.withArtifacts(files));
        // what the brain's actions queued is published here too, so the artifacts they reference are stored first
        Outcome outcome = (decided != null ? decided : Outcome.nothing()).with(ctx.actions().drain());
        try {
            return switch (outcome) {
                case Outcome.Reply r -> new Outcome.Reply(publish(r.reply(), ctx, fetchedDigests), r.also().stream()
                        .map(e -> publish(e, ctx, fetchedDigests)).toList());
                case Outcome.Send s -> new Outcome.Send(s.messages().stream()
                        .map(e -> publish(e, ctx, fetchedDigests)).toList());
                default -> outcome;
            };
        } catch (Refused r) {
            return Outcome.failed(r.getMessage());
        }
    }

    /** A store refused for a reason retrying will not fix: the message fails with this reason. */
    private static final class Refused extends RuntimeException {
        Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The references of {@code e}: {@code artifact_path} first, then {@code artifacts}, without repeats. */
    public static List<String> references(Envelope e) {
        Set<String> refs = new LinkedHashSet<>();
        if (e.artifactPath() != null && !e.artifactPath().isBlank()) {
            refs.add(e.artifactPath());
        }
        if (e.artifacts() != null) {
            e.artifacts().stream().filter(x -> x != null && !x.isBlank()).forEach(refs::add);
        }
        return List.copyOf(refs);
    }

    private List<ArtifactFile> fetch(Envelope in, Map<Path, byte[]> digests) {
        List<ArtifactFile> out = new ArrayList<>();
        for (String text : references(in)) {
            Optional<ArtifactRef> ref;
            try {
                ref = ArtifactRef.parse(text);
            } catch (IllegalArgumentException e) {
                out.add(new ArtifactFile(text, null, e.getMessage()));
                continue;
            }
            if (ref.isEmpty()) {
                out.add(new ArtifactFile(text, null, "not an artifact reference (obj://, r2://, s3://)"));
                continue;
            }
            Path local = workspace.fileFor(ref.get());
            try {
                if (store.fetch(ref.get(), local)) {
                    digests.put(local, digest(local));
                    out.add(new ArtifactFile(text, local, null));
                } else {
                    LOG.infof("artifact %s referenced by %s not found", text, in.id());
                    out.add(new ArtifactFile(text, null, "not found"));
                }
            } catch (ArtifactException e) {
                if (!e.retryable()) {
                    LOG.warnf("artifact %s referenced by %s could not be fetched: %s", text, in.id(), e.getMessage());
                    throw new Refused("artifact " + text + " could not be fetched: " + e.getMessage(), e);
                }
                throw new TransientException("artifact " + text + " could not be fetched: " + e.getMessage(), null,
                        e);
            } catch (IOException e) {
                throw new TransientException("artifact " + text + " could not be fetched: " + e.getMessage(), null,
                        e);
            }
        }
        return out;
    }

    private Envelope publish(Envelope e, HandlerContext ctx, Map<Path, byte[]> fetched) {
        if (e.artifactPath() == null && (e.artifacts() == null || e.artifacts().isEmpty())) {
            return e;
        }
        Envelope.Builder b = e.toBuilder();
        if (e.artifactPath() != null) {
            b.artifactPath(publishOne(e.artifactPath(), ctx, fetched));
        }
        if (e.artifacts() != null) {
            b.artifacts(e.artifacts().stream().map(r -> publishOne(r, ctx, fetched)).toList());
        }
        return b.build();
    }

    /** Publishes the file behind {@code text} when the brain wrote it; returns the reference to send. */
    private String publishOne(String text, HandlerContext ctx, Map<Path, byte[]> fetched) {
        ArtifactRef ref;
        Path local;
        try {
            Optional<ArtifactRef> parsed = ArtifactRef.parse(text);
            if (parsed.isPresent()) {
                ref = parsed.get();
                local = workspace.fileFor(ref);
            } else {
                local = workspace.inside(text);
                ref = new ArtifactRef("obj", bucket, ctx.self().id() + "/" + workspace.dir().relativize(local)
                        .toString().replace('\\', '/'));
            }
        } catch (IllegalArgumentException bad) {
            LOG.infof("artifact reference %s left as written: %s", text, bad.getMessage());
            return text;
        }
        if (!Files.isRegularFile(local)) {
            return text;
        }
        try {
            byte[] before = fetched.get(local);
            if (before != null && Arrays.equals(before, digest(local))) {
                return ref.toString();
            }
            store.publish(ref, local);
            fetched.put(local, digest(local));
            LOG.debugf("published artifact %s from %s", ref, local);
            return ref.toString();
        } catch (ArtifactException ex) {
            if (!ex.retryable()) {
                LOG.warnf("artifact %s could not be published: %s", ref, ex.getMessage());
                throw new Refused("artifact " + ref + " could not be published: " + ex.getMessage(), ex);
            }
            throw new TransientException("artifact " + ref + " could not be published: " + ex.getMessage(), null,
                    ex);
        } catch (IOException ex) {
            throw new TransientException("artifact " + ref + " could not be published: " + ex.getMessage(), null,
                    ex);
        }
    }

    private static byte[] digest(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return ((DigestInputStream) in).getMessageDigest().digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
