package dev.orgmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out free TCP ports on 127.0.0.1 for servers whose configs must name their ports before they start
 * (cluster routes, leaf remotes, configs rendered by other modules).
 *
 * <p>
 * The OS picks the port ({@code ServerSocket(0)}); a port is never handed out twice in one JVM. Another process
 * can still grab it between allocation and bind, so the testkit retries a generated server on "address already
 * in use".
 */
public final class FreePorts {

    /** The only address test servers bind. */
    public static final String HOST = "127.0.0.1";

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    private static final int MAX_ATTEMPTS = 100;

    private FreePorts() {
    }

    /** A port that was free on 127.0.0.1 a moment ago and that this JVM has not handed out before. */
    public static int next() {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(loopback(), 0));
                int port = socket.getLocalPort();
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot bind a socket on " + HOST, e);
            }
        }
        throw new IllegalStateException("no unused free port on " + HOST + " after " + MAX_ATTEMPTS + " attempts");
    }

    static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[]{127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
