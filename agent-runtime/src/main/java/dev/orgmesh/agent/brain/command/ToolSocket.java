package dev.orgmesh.agent.brain.command;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.agent.brain.ActionResult;
import dev.orgmesh.agent.brain.Actions;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The {@code orgmesh} tool's end in the runtime, for one run of a command brain: a Unix-domain socket in a directory
 * only this user can enter, next to the {@code orgmesh} script the command finds first on its {@code PATH}. Each
 * connection is one action: a JSON line in, the {@link ActionResult} as a JSON line out. The socket lives as long as
 * the command runs; nothing else can reach it (no network port, the directory is {@code 0700}).
 */
final class ToolSocket implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ToolSocket.class);
    private static final String SCRIPT = "orgmesh-tool.py";
    /** The longest request line read (an artifact's content travels in it). */
    private static final int MAX_LINE = 2 * 1024 * 1024;

    private final Path dir;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    private ToolSocket(Path dir, Path socket, ServerSocketChannel server, Actions actions) {
        this.dir = dir;
        this.socket = socket;
        this.server = server;
        this.acceptor = Thread.ofVirtual().name("orgmesh-tool").start(() -> accept(actions));
    }

    /** Opens a socket for one command run whose actions go to {@code actions}. */
    static ToolSocket open(Actions actions) throws IOException {
        Path dir = Files.createTempDirectory("orgmesh-tool-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path script = dir.resolve("orgmesh");
        try (InputStream in = ToolSocket.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IOException(SCRIPT + " is missing from the runtime");
            }
            Files.write(script, in.readAllBytes());
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Path socket = dir.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return new ToolSocket(dir, socket, server, actions);
    }

    /** The socket's path ({@code ORGMESH_TOOL_SOCKET}). */
    Path socket() {
        return socket;
    }

    /** The directory holding the {@code orgmesh} script (put first on the command's {@code PATH}). */
    Path bin() {
        return dir;
    }

    private void accept(Actions actions) {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread.ofVirtual().name("orgmesh-tool-call").start(() -> serve(c, actions));
        }
    }

    private static void serve(SocketChannel c, Actions actions) {
        try (c;
                BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                        StandardCharsets.UTF_8));
                OutputStream w = Channels.newOutputStream(c)) {
            ActionResult result;
            String line = readLine(r);
            JsonNode json;
            try {
                json = Json.mapper().readTree(line);
                result = actions.run(json);
            } catch (IOException e) {
                result = ActionResult.refused("?", new OrgmeshException(ErrorCode.ACTION_MALFORMED,
                        "not JSON: " + e.getMessage()));
            }
            w.write((Json.mapper().writeValueAsString(result.toJson()) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            LOG.debugf("an orgmesh tool call ended early: %s", e.toString());
        }
    }

    private static String readLine(BufferedReader r) throws IOException {
        StringBuilder b = new StringBuilder();
        int ch;
        while ((ch = r.read()) >= 0 && ch != '\n') {
            if (b.length() >= MAX_LINE) {
                throw new IOException("a request line is longer than " + MAX_LINE + " characters");
            }
            b.append((char) ch);
        }
        return b.toString();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debugf("closing the tool socket: %s", e.getMessage());
        }
        acceptor.interrupt();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debugf("removing %s: %s", dir, e.getMessage());
        }
    }
}
