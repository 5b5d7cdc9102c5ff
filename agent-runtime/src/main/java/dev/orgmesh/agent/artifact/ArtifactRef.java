package dev.orgmesh.agent.artifact;

import java.util.Optional;
import java.util.Set;

/**
 * A reference to an artifact, as messages carry them in {@code artifact_path} and {@code artifacts}:
 * {@code obj://{bucket}/{name}} (a NATS object store bucket), {@code r2://{bucket}/{key}} or
 * {@code s3://{bucket}/{key}} (S3-compatible storage). Names may contain {@code /}; no segment may be {@code .} or
 * {@code ..}, so a reference always maps to a file inside the workspace.
 *
 * @param scheme {@code obj}, {@code r2} or {@code s3}
 * @param bucket the bucket (for {@code r2}/{@code s3}: the storage bucket, often the company)
 * @param name the object name or key within the bucket
 */
public record ArtifactRef(String scheme, String bucket, String name) {
    /** The schemes orgmesh understands. */
    public static final Set<String> SCHEMES = Set.of("obj", "r2", "s3");

    public ArtifactRef {
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("unknown artifact scheme '" + scheme + "'; expected obj, r2 or s3");
        }
        check(bucket, "bucket");
        check(name, "name");
    }

    /**
     * The reference in {@code text}, or empty when {@code text} has no {@code scheme://} (a workspace path); throws
     * {@link IllegalArgumentException} for a malformed reference with a scheme.
     */
    public static Optional<ArtifactRef> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        int sep = text.indexOf("://");
        if (sep < 0) {
            return Optional.empty();
        }
        String scheme = text.substring(0, sep);
        String rest = text.substring(sep + 3);
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new IllegalArgumentException("artifact reference '" + text + "' has no " + (slash <= 0
                    ? "bucket"
                    : "name") + "; expected " + scheme + "://{bucket}/{name}");
        }
        return Optional.of(new ArtifactRef(scheme, rest.substring(0, slash), rest.substring(slash + 1)));
    }

    /** Where the artifact lives under a workspace's {@code artifacts/} directory: {@code {scheme}/{bucket}/{name}}. */
    public String localPath() {
        return scheme + "/" + bucket + "/" + name;
    }

    private static void check(String part, String what) {
        if (part == null || part.isEmpty()) {
            throw new IllegalArgumentException("artifact " + what + " is empty");
        }
        if (part.indexOf('\\') >= 0 || part.startsWith("/") || part.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("artifact " + what + " '" + part + "' has a backslash, a leading /"
                    + " or a control character");
        }
        for (String seg : part.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("artifact " + what + " '" + part
                        + "' has an empty, '.' or '..' segment");
            }
        }
    }

    @Override
    public String toString() {
        return scheme + "://" + bucket + "/" + name;
    }
}
