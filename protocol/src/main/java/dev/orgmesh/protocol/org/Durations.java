package dev.orgmesh.protocol.org;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in org files: {@code 30s}, {@code 10m}, {@code 1h30m}, {@code 1d}. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private Durations() {
    }

    /** Parses a duration; throws {@link IllegalArgumentException} naming the accepted form. */
    public static Duration parse(String text) {
        Matcher m = text == null ? null : FORM.matcher(text.trim());
        if (m == null || text.isBlank() || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write it like 30s, 10m, 1h30m or 1d");
        }
        Duration d = Duration.ofDays(num(m.group(1)))
                .plusHours(num(m.group(2)))
                .plusMinutes(num(m.group(3)))
                .plusSeconds(num(m.group(4)));
        if (d.isZero()) {
            throw new IllegalArgumentException("'" + text + "' is zero; a duration must be positive");
        }
        return d;
    }

    private static long num(String g) {
        return g == null ? 0 : Long.parseLong(g);
    }

    /** Formats a duration back in the org file form. */
    public static String format(Duration d) {
        StringBuilder sb = new StringBuilder();
        long s = d.getSeconds();
        if (s >= 86400) {
            sb.append(s / 86400).append('d');
            s %= 86400;
        }
        if (s >= 3600) {
            sb.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            sb.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0 || sb.isEmpty()) {
            sb.append(s).append('s');
        }
        return sb.toString();
    }
}
