package dev.orgmesh.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads nats-server's HTTP monitoring endpoints ({@code /healthz}, {@code /leafz}, {@code /jsz}). The few fields
 * the testkit needs are pulled out with patterns, so the testkit needs no JSON library.
 */
final class Monitoring {

    private static final int CONNECT_TIMEOUT_MILLIS = 1_000;
    private static final int READ_TIMEOUT_MILLIS = 2_000;
    private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/1\\.[01] (\\d{3})");
    private static final Pattern LEAFNODES = Pattern.compile("\"leafnodes\"\\s*:\\s*(\\d+)");
    private static final Pattern META_LEADER = Pattern
            .compile("\"meta_cluster\"\\s*:\\s*\\{[^{}]*?\"leader\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern CURRENT_REPLICA = Pattern.compile("\"current\"\\s*:\\s*true");

    private Monitoring() {
    }

    /**
     * The body of a 200 response, or empty on any other status or an I/O failure (server not up yet).
     *
     * <p>
     * A plain HTTP/1.0 exchange over a socket: the endpoints are local and tiny, and this keeps the testkit free of
     * HTTP client threads and logging back ends.
     */
    static Optional<String> get(int monitorPort, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(FreePorts.loopback(), monitorPort), CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: " + ServerConfig.hostPort(monitorPort) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher status = STATUS_LINE.matcher(response);
            int bodyStart = response.indexOf("\r\n\r\n");
            if (!status.find() || !"200".equals(status.group(1)) || bodyStart < 0) {
                return Optional.empty();
            }
            return Optional.of(response.substring(bodyStart + 4));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static boolean healthy(int monitorPort) {
        return get(monitorPort, "/healthz").isPresent();
    }

    /** Leaf node connections the server reports on {@code /leafz}; -1 if it cannot be read. */
    static int leafnodeCount(int monitorPort) {
        return get(monitorPort, "/leafz").map(body -> {
            Matcher m = LEAFNODES.matcher(body);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        }).orElse(-1);
    }

    /** The JetStream meta leader's server name from {@code /jsz}, if one is known. */
    static Optional<String> metaLeader(int monitorPort) {
        return get(monitorPort, "/jsz").flatMap(body -> {
            Matcher m = META_LEADER.matcher(body);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        });
    }

    /** On the meta leader: how many meta replicas {@code /jsz} reports as current; -1 if it cannot be read. */
    static int currentMetaReplicas(int monitorPort) {
        return get(monitorPort, "/jsz").map(body -> (int) CURRENT_REPLICA.matcher(body).results().count()).orElse(-1);
    }
}
