package dev.orgmesh.render;

/**
 * nats-server's subject matching rules, for reasoning about rendered permissions without a server: tokens separated
 * by {@code .}, {@code *} matches exactly one token, {@code >} matches one or more trailing tokens.
 */
public final class SubjectPattern {
    private SubjectPattern() {
    }

    /** Whether the literal {@code subject} matches {@code pattern}. */
    public static boolean matches(String pattern, String subject) {
        String[] p = pattern.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length) {
                return false;
            }
            if (!p[i].equals("*") && !p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }

    /**
     * Whether every subject {@code subject} (which may contain wildcards) can match is also matched by
     * {@code pattern}: how nats-server decides that a wildcard subscription is allowed.
     */
    public static boolean isSubset(String subject, String pattern) {
        String[] s = subject.split("\\.", -1);
        String[] p = pattern.split("\\.", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length) {
                return false;
            }
            if (s[i].equals(">")) {
                return false;
            }
            if (p[i].equals("*")) {
                continue;
            }
            if (s[i].equals("*") || !p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }

    /** Whether some literal subject matches both patterns. */
    public static boolean overlaps(String a, String b) {
        String[] x = a.split("\\.", -1);
        String[] y = b.split("\\.", -1);
        int n = Math.max(x.length, y.length);
        for (int i = 0; i < n; i++) {
            String xi = i < x.length ? x[i] : null;
            String yi = i < y.length ? y[i] : null;
            if (">".equals(xi) || ">".equals(yi)) {
                return xi != null && yi != null;
            }
            if (xi == null || yi == null) {
                return false;
            }
            if (!xi.equals("*") && !yi.equals("*") && !xi.equals(yi)) {
                return false;
            }
        }
        return true;
    }
}
