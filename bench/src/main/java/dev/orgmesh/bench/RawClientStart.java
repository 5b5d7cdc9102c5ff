package dev.orgmesh.bench;

import java.time.Duration;

import io.nats.client.Connection;
import io.nats.client.Nats;

/**
 * The baseline of {@code bench/startup.sh}: a bare JVM that only connects a jnats client to NATS, prints
 * {@code ready} and waits to be killed. Its start-to-ready time and RSS are what any Java NATS client pays before doing
 * any work; a service's figures are reported as a ratio to it.
 */
public final class RawClientStart {
    private RawClientStart() {
    }

    public static void main(String[] args) throws Exception {
        try (Connection c = Nats.connect(args[0])) {
            c.flush(Duration.ofSeconds(5));
            BenchOutput.print("ready\n");
            Thread.sleep(Duration.ofMinutes(10));
        }
    }
}
