package dev.orgmesh.protocol.envelope;

import java.util.Locale;

/** How urgent a message is; the seed's four levels, written in lower case on the wire. */
public enum Priority {
    LOW, NORMAL, HIGH, URGENT;

    /** The wire form, e.g. {@code high}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the wire form; {@code null} when the text is not one of the four levels. */
    public static Priority parse(String text) {
        for (Priority p : values()) {
            if (p.wire().equals(text)) {
                return p;
            }
        }
        return null;
    }
}
