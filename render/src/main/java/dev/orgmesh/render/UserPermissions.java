package dev.orgmesh.render;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one NATS user may publish and subscribe to, as nats-server enforces it: with an allow list, everything not
 * on it is refused; a deny entry wins over an allow entry. {@code null} allow lists mean "no restriction" (the
 * company's operator user).
 *
 * <p>The same lists are rendered into {@code hub.conf} and can be queried here with nats-server's matching rules, so
 * a security-matrix test can enumerate expectations without a server.
 *
 * @param publishAllow subjects the user may publish to; {@code null} for no restriction
 * @param publishDeny subjects the user may never publish to
 * @param subscribeAllow subjects the user may subscribe to; {@code null} for no restriction
 * @param subscribeDeny subjects the user may never subscribe to
 */
public record UserPermissions(List<String> publishAllow, List<String> publishDeny, List<String> subscribeAllow,
        List<String> subscribeDeny) {

    public UserPermissions {
        publishAllow = publishAllow == null ? null : List.copyOf(new LinkedHashSet<>(publishAllow));
        subscribeAllow = subscribeAllow == null ? null : List.copyOf(new LinkedHashSet<>(subscribeAllow));
        publishDeny = publishDeny == null ? List.of() : List.copyOf(new LinkedHashSet<>(publishDeny));
        subscribeDeny = subscribeDeny == null ? List.of() : List.copyOf(new LinkedHashSet<>(subscribeDeny));
    }

    /** No restriction inside the account: the company operator's credential. */
    public static UserPermissions unrestricted() {
        return new UserPermissions(null, List.of(), null, List.of());
    }

    /** Whether this user has no permissions block at all. */
    public boolean isUnrestricted() {
        return publishAllow == null && subscribeAllow == null && publishDeny.isEmpty() && subscribeDeny.isEmpty();
    }

    /** Whether nats-server lets this user publish to the literal {@code subject}. */
    public boolean allowsPublish(String subject) {
        boolean allowed = publishAllow == null
                || publishAllow.stream().anyMatch(p -> SubjectPattern.matches(p, subject));
        return allowed && publishDeny.stream().noneMatch(p -> SubjectPattern.matches(p, subject));
    }

    /**
     * Whether nats-server lets this user subscribe to {@code subject}, which may itself contain wildcards: it must lie
     * entirely inside an allowed pattern and not overlap a denied one.
     */
    public boolean allowsSubscribe(String subject) {
        boolean allowed = subscribeAllow == null
                || subscribeAllow.stream().anyMatch(p -> SubjectPattern.isSubset(subject, p));
        return allowed && subscribeDeny.stream().noneMatch(p -> SubjectPattern.overlaps(p, subject));
    }

    /** Builds the lists in insertion order without duplicates. */
    static final class Builder {
        private final Set<String> pubAllow = new LinkedHashSet<>();
        private final Set<String> pubDeny = new LinkedHashSet<>();
        private final Set<String> subAllow = new LinkedHashSet<>();
        private final Set<String> subDeny = new LinkedHashSet<>();

        Builder publish(String... subjects) {
            pubAllow.addAll(List.of(subjects));
            return this;
        }

        Builder publish(Collection<String> subjects) {
            pubAllow.addAll(subjects);
            return this;
        }

        Builder denyPublish(String... subjects) {
            pubDeny.addAll(List.of(subjects));
            return this;
        }

        Builder subscribe(String... subjects) {
            subAllow.addAll(List.of(subjects));
            return this;
        }

        Builder subscribe(Collection<String> subjects) {
            subAllow.addAll(subjects);
            return this;
        }

        Builder denySubscribe(String... subjects) {
            subDeny.addAll(List.of(subjects));
            return this;
        }

        UserPermissions build() {
            return new UserPermissions(new ArrayList<>(pubAllow), new ArrayList<>(pubDeny), new ArrayList<>(subAllow),
                    new ArrayList<>(subDeny));
        }
    }
}
