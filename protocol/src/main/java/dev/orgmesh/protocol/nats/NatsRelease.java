package dev.orgmesh.protocol.nats;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The NATS releases orgmesh runs on, read from the one file that names them ({@code deploy/nats/versions.properties},
 * packaged into this module): the server every test and image runs, the oldest server any orgmesh command starts,
 * and the {@code nats} CLI of the interop tests.
 */
public final class NatsRelease {
    /** The server release production ships and every test, benchmark and fault run uses. */
    public static final NatsVersion PINNED;
    /** The oldest server release an orgmesh command starts; older ones are refused ({@code OM-2007}). */
    public static final NatsVersion MINIMUM;
    /** The {@code nats} CLI release used by the interop tests. */
    public static final NatsVersion CLI;

    static {
        Properties p = new Properties();
        try (InputStream in = NatsRelease.class.getResourceAsStream("versions.properties")) {
            if (in == null) {
                throw new IllegalStateException("versions.properties is missing from the protocol jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PINNED = NatsVersion.parse(p.getProperty("NATS_SERVER_VERSION"));
        MINIMUM = NatsVersion.parse(p.getProperty("NATS_SERVER_MINIMUM"));
        CLI = NatsVersion.parse(p.getProperty("NATS_CLI_VERSION"));
    }

    private NatsRelease() {
    }
}
