package dev.orgmesh.render;

import java.util.Objects;

/**
 * TLS for the hub's client, leafnode and route listeners, and for leaves dialing it. Hub paths are as seen on the hub
 * machine, {@code leaf*} paths as seen on the agent machines.
 *
 * @param certFile the hub's certificate (PEM)
 * @param keyFile the hub's private key (PEM)
 * @param caFile CA that signs client and leaf certificates (and route peers); {@code null} when nothing is verified
 * @param verifyClients require a client certificate from {@code caFile} on client and leafnode connections, so only
 *        machines holding one can even attempt to authenticate (this also shuts out anonymous leaves)
 * @param leafCaFile CA a leaf uses to verify the hub; {@code null} for the system roots
 * @param leafCertFile certificate a leaf presents when {@code verifyClients} is on
 * @param leafKeyFile key of {@code leafCertFile}
 */
public record TlsOptions(String certFile, String keyFile, String caFile, boolean verifyClients, String leafCaFile,
        String leafCertFile, String leafKeyFile) {
    public TlsOptions {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        if (verifyClients && caFile == null) {
            throw new IllegalArgumentException("verifyClients needs a caFile to verify against");
        }
        if (verifyClients && (leafCertFile == null || leafKeyFile == null)) {
            throw new IllegalArgumentException("verifyClients needs leafCertFile and leafKeyFile for the leaves");
        }
    }

    /** Server-side TLS only: clients and leaves verify the hub, the hub verifies no client certificate. */
    public static TlsOptions serverOnly(String certFile, String keyFile, String leafCaFile) {
        return new TlsOptions(certFile, keyFile, null, false, leafCaFile, null, null);
    }
}
