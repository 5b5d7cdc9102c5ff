package dev.orgmesh.vault.store;

import java.util.Arrays;

/**
 * One version of a secret as a backend returned it. {@link #toString()} never shows the value; {@link #wipe()}
 * overwrites it once it has been sealed.
 *
 * @param path where it is stored
 * @param version the backend's version number (1 for the first value)
 * @param value the value's bytes
 */
public record SecretValue(SecretPath path, int version, byte[] value) {

    /** Overwrites the value with zeros. */
    public void wipe() {
        Arrays.fill(value, (byte) 0);
    }

    @Override
    public String toString() {
        return "SecretValue[path=" + path + ", version=" + version + ", value=<redacted " + value.length + " bytes>]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecretValue v && path.equals(v.path) && version == v.version
                && Arrays.equals(value, v.value);
    }

    @Override
    public int hashCode() {
        return path.hashCode() * 31 + version;
    }
}
