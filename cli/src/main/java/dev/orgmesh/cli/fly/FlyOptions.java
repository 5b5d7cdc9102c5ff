package dev.orgmesh.cli.fly;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * How to lay an org out on Fly.io.
 *
 * @param appPrefix first part of every app name ({@code <prefix>-nats-hub}, {@code <prefix>-<agent>}); {@code null}
 *        for the company id
 * @param region Fly region of every app and of the hub's volume ({@code iad}, {@code fra}, …)
 * @param out output directory; {@code null} for {@code <home>/deploy/fly/out/<company>}
 * @param home the orgmesh checkout, base of the default output directory
 * @param registry image registry and namespace the images were pushed to ({@code ghcr.io/orgmesh}); the images are
 *        {@code <registry>/orgmesh-<target>:<tag>} with the targets of {@code deploy/docker/Dockerfile.native}
 * @param tag image tag the CI workflow pushed
 * @param jvm use the JVM fallback images ({@code :<tag>-jvm}, {@code deploy/docker/Dockerfile.jvm}) instead of native
 * @param vaultStore the vault-bridge's encrypted store file, shipped to its app as it is (values stay encrypted)
 */
public record FlyOptions(String appPrefix, String region, Path out, Path home, String registry, String tag,
        boolean jvm, Path vaultStore) {

    /** Fly app names double as DNS labels ({@code <app>.internal}): lowercase letters, digits, dashes. */
    static final Pattern APP_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern REGION = Pattern.compile("[a-z]{3}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern REGISTRY = Pattern
            .compile("[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*");

    public FlyOptions {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(vaultStore, "vaultStore");
        if (appPrefix != null && !APP_NAME.matcher(appPrefix).matches()) {
            throw usage("--app-prefix '" + appPrefix + "' must be lowercase letters, digits and dashes,"
                    + " starting and ending with a letter or digit (it becomes part of <app>.internal host names)");
        }
        if (!REGION.matcher(region).matches()) {
            throw usage("--region '" + region + "' is not a Fly region code (three lowercase letters, e.g. iad, fra;"
                    + " 'fly platform regions' lists them)");
        }
        if (!REGISTRY.matcher(registry).matches()) {
            throw usage("--registry '" + registry + "' is not an image registry path such as ghcr.io/orgmesh");
        }
        if (!TAG.matcher(tag).matches()) {
            throw usage("--tag '" + tag + "' is not a valid image tag");
        }
    }

    /** The image of one Dockerfile target, native or JVM; the hub's image is the same for both. */
    public String image(String target) {
        boolean jvmVariant = jvm && !target.equals(FlyPlan.Role.NATS_HUB.target());
        return registry + "/orgmesh-" + target + ":" + tag + (jvmVariant ? "-jvm" : "");
    }

    private static OrgmeshException usage(String message) {
        return new OrgmeshException(ErrorCode.CLI_USAGE, message);
    }
}
