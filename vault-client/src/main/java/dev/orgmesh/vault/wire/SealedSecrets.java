package dev.orgmesh.vault.wire;

import java.util.Arrays;
import java.util.List;

/**
 * The plaintext inside a {@link SecretReply}. Never sent or stored unsealed.
 *
 * @param secrets one entry per requested name, in request order
 */
public record SealedSecrets(List<Item> secrets) {

    public SealedSecrets {
        secrets = List.copyOf(secrets);
    }

    /** Overwrites every value with zeros, once the values have been handed on. */
    public void wipe() {
        secrets.forEach(i -> Arrays.fill(i.value(), (byte) 0));
    }

    /**
     * One secret.
     *
     * @param name the name the agent asked for
     * @param path where it was found: {@code agents/<id>/NAME} or {@code company/NAME}
     * @param version the backend's version of the value
     * @param value the value's bytes (base64 in JSON)
     */
    public record Item(String name, String path, int version, byte[] value) {
        @Override
        public String toString() {
            return "Item[name=" + name + ", path=" + path + ", version=" + version + ", value=<redacted>]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Item i && name.equals(i.name) && path.equals(i.path) && version == i.version
                    && Arrays.equals(value, i.value);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + version;
        }
    }

    @Override
    public String toString() {
        return "SealedSecrets" + secrets;
    }
}
