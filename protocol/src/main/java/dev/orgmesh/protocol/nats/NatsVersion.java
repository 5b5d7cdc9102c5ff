package dev.orgmesh.protocol.nats;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NATS release number ({@code 2.15.3}), as {@code nats-server --version} prints it ({@code nats-server: v2.15.3})
 * or as {@code deploy/nats/versions.properties} names it. Pre-release suffixes ({@code -beta.1}) are ignored: a
 * {@code 2.12.0-RC.1} counts as 2.12.0.
 */
public record NatsVersion(int major, int minor, int patch) implements Comparable<NatsVersion> {
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)");

    /**
     * The first {@code X.Y.Z} in {@code text}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public static NatsVersion parse(String text) {
        Matcher m = VERSION.matcher(text == null ? "" : text);
        if (!m.find()) {
            throw new IllegalArgumentException("no version number (X.Y.Z) in '" + text + "'");
        }
        return new NatsVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)));
    }

    /** Whether this release is {@code other} or newer. */
    public boolean atLeast(NatsVersion other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(NatsVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
