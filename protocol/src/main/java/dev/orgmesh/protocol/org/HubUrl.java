package dev.orgmesh.protocol.org;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Set;

/**
 * Checks the address agents' leaves dial. The seed calls the wrong port a common failure: the hub's client port
 * (4222) is not where leaf nodes connect; the leafnode port (7422) is. A URL naming 4222 is refused with a message
 * that says so, before anything tries to connect.
 */
public final class HubUrl {
    /** The leafnode port every hub listens on. */
    public static final int LEAFNODE_PORT = 7422;
    /** The standard client port, wrong for a leaf remote. */
    public static final int CLIENT_PORT = 4222;
    private static final Set<String> SCHEMES = Set.of("nats-leaf", "nats", "tls", "ws", "wss");

    private HubUrl() {
    }

    /**
     * Returns the URL with the leafnode port filled in when absent, or throws {@link IllegalArgumentException}
     * naming the problem.
     */
    public static String check(String url) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getReason());
        }
        if (uri.getScheme() == null || !SCHEMES.contains(uri.getScheme())) {
            throw new IllegalArgumentException("'" + url + "' must start with nats-leaf://, tls://, ws:// or wss://");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("'" + url + "' has no host");
        }
        if (uri.getPort() == CLIENT_PORT) {
            throw new IllegalArgumentException("'" + url + "' names port 4222, the hub's client port; leaf nodes dial"
                    + " the leafnode port " + LEAFNODE_PORT + " (e.g. nats-leaf://" + uri.getHost() + ":"
                    + LEAFNODE_PORT + ")");
        }
        if (uri.getPort() == -1) {
            return uri.getScheme() + "://" + (uri.getUserInfo() == null ? "" : uri.getUserInfo() + "@") + uri.getHost()
                    + ":" + LEAFNODE_PORT;
        }
        return url.trim();
    }
}
