package dev.orgmesh.console.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import dev.orgmesh.protocol.ErrorCode;

/**
 * Who may use the console, decided per HTTP request without any framework, so it is tested without a server.
 *
 * <ul>
 * <li><b>Host and Origin.</b> Every request must name the console itself in {@code Host} (127.0.0.1, localhost or
 * [::1] on the port the request came in on, or a host configured in {@code orgmesh.console.allowed-hosts}), so a
 * page on another name that resolves to 127.0.0.1 (DNS rebinding) gets nothing; a request with an {@code Origin}
 * must come from that same origin.</li>
 * <li><b>Login.</b> {@code POST /api/login} with the console's token ({@code orgmesh.console.token}, which
 * {@code orgmesh up} makes and prints in the console's URL, as Jupyter does) opens a session: a random id in an
 * {@code HttpOnly}, {@code SameSite=Strict} cookie, and a CSRF token the page keeps in memory. Every other
 * {@code /api} request needs the session.</li>
 * <li><b>CSRF.</b> A request that changes state (any method but GET, HEAD, OPTIONS) must be JSON and carry the
 * session's CSRF token in {@value #CSRF_HEADER}: a form posted from another site can do neither.</li>
 * </ul>
 * Only the page's own files, {@code /q/health*}, {@code /q/metrics} and the login need no session (they hold no org data); every
 * other path needs one, so a path the router resolves somewhere unexpected is refused rather than let through.
 * Sessions end after {@value #SESSION_HOURS} hours.
 */
public final class ConsoleAccess {
    /** The session cookie. */
    public static final String SESSION_COOKIE = "orgmesh_console";
    /** The header that carries the session's CSRF token on state-changing requests. */
    public static final String CSRF_HEADER = "X-Orgmesh-Csrf";
    /** Where the page logs in. */
    public static final String LOGIN_PATH = "/api/login";
    static final int MAX_SESSIONS = 64;
    static final int SESSION_HOURS = 12;
    /** Prometheus' scrape path: counts only (no subject, member or token), so it needs no session, as health. */
    static final String METRICS_PATH = "/q/metrics";
    /** What needs no session: the page and its files, and health checks. */
    private static final Set<String> OPEN_PATHS = Set.of("/", "/index.html", "/console.js", "/console.css",
            "/favicon.ico");
    private static final List<String> LOCAL_NAMES = List.of("127.0.0.1", "localhost", "[::1]");
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    /** What the filter knows of one request. Header values may be null when absent. */
    public record Request(String method, String path, int localPort, String host, String origin, String contentType,
            String csrf, String session) {
    }

    /** The outcome: allowed, or refused with a status, a catalogue code and why. */
    public record Verdict(int status, ErrorCode code, String message) {
        static final Verdict OK = new Verdict(200, null, null);

        public boolean allowed() {
            return code == null;
        }
    }

    private final byte[] token;
    private final Set<String> extraHosts;
    private final SecureRandom random;
    private final InstantSource clock;
    /** Session id → the session; the oldest goes when there are more than {@link #MAX_SESSIONS}. */
    private final Map<String, Session> sessions = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
            return size() > MAX_SESSIONS;
        }
    };

    /**
     * @param token the login token; empty: nobody can log in (the console says how to set one)
     * @param extraHosts further {@code host} or {@code host:port} values accepted in {@code Host}
     */
    public ConsoleAccess(Optional<String> token, List<String> extraHosts, SecureRandom random) {
        this(token, extraHosts, random, InstantSource.system());
    }

    ConsoleAccess(Optional<String> token, List<String> extraHosts, SecureRandom random, InstantSource clock) {
        this.clock = clock;
        this.token = token.filter(t -> !t.isBlank()).map(t -> t.strip().getBytes(StandardCharsets.UTF_8))
                .orElse(null);
        this.extraHosts = new TreeSet<>();
        extraHosts.forEach(h -> this.extraHosts.add(h.strip().toLowerCase(Locale.ROOT)));
        this.random = random;
    }

    /** Whether a token is configured at all. */
    public boolean hasToken() {
        return token != null;
    }

    /** A fresh token for {@code orgmesh up} to hand to the console it starts: 32 random bytes, URL-safe. */
    public static String newToken(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Decides one request. */
    public Verdict check(Request r) {
        String host = r.host() == null ? null : r.host().strip().toLowerCase(Locale.ROOT);
        if (host == null || !hostAllowed(host, r.localPort())) {
            return new Verdict(403, ErrorCode.CONSOLE_FOREIGN_ORIGIN, "Host '" + r.host() + "' is not this console ("
                    + "use http://127.0.0.1:" + r.localPort() + "/ or add the name to orgmesh.console.allowed-hosts)");
        }
        if (r.origin() != null && !r.origin().equalsIgnoreCase("http://" + host)
                && !r.origin().equalsIgnoreCase("https://" + host)) {
            return new Verdict(403, ErrorCode.CONSOLE_FOREIGN_ORIGIN,
                    "a request from " + r.origin() + " may not use the console at " + host);
        }
        boolean safe = SAFE_METHODS.contains(r.method().toUpperCase(Locale.ROOT));
        if (!safe && !isJson(r.contentType())) {
            return new Verdict(415, ErrorCode.CONSOLE_CSRF,
                    r.method() + " " + r.path() + " must send application/json, not " + r.contentType());
        }
        if (r.path().equals(LOGIN_PATH)) {
            return Verdict.OK; // the login itself checks the token
        }
        if (safe && (OPEN_PATHS.contains(r.path()) || r.path().equals("/q/health")
                || r.path().startsWith("/q/health/") || r.path().equals(METRICS_PATH))) {
            return Verdict.OK;
        }
        String csrf = r.session() == null ? null : csrfOf(r.session());
        if (csrf == null) {
            return new Verdict(401, ErrorCode.CONSOLE_LOGIN_REQUIRED,
                    "no console session: open the console's URL with its token (orgmesh up prints it)");
        }
        if (!safe && (r.csrf() == null || !constantTimeEquals(csrf, r.csrf()))) {
            return new Verdict(403, ErrorCode.CONSOLE_CSRF,
                    r.method() + " " + r.path() + " lacks this session's " + CSRF_HEADER + " header");
        }
        return Verdict.OK;
    }

    /** A new session for the right token: its id (the cookie) and CSRF token; empty for a wrong or missing one. */
    public Optional<Session> login(String presented) {
        if (token == null || presented == null
                || !MessageDigest.isEqual(token, presented.strip().getBytes(StandardCharsets.UTF_8))) {
            return Optional.empty();
        }
        Session s = new Session(newToken(random), newToken(random), clock.instant());
        synchronized (sessions) {
            sessions.put(s.id(), s);
        }
        return Optional.of(s);
    }

    /** The CSRF token of a live session, or null. */
    public String csrfOf(String sessionId) {
        synchronized (sessions) {
            Session s = sessions.get(sessionId);
            if (s == null) {
                return null;
            }
            if (s.opened().plus(Duration.ofHours(SESSION_HOURS)).isBefore(clock.instant())) {
                sessions.remove(sessionId);
                return null;
            }
            return s.csrf();
        }
    }

    /** A console session. */
    public record Session(String id, String csrf, Instant opened) {
    }

    private boolean hostAllowed(String host, int localPort) {
        for (String name : LOCAL_NAMES) {
            if (host.equals(name + ":" + localPort)) {
                return true;
            }
        }
        return extraHosts.contains(host);
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
        return type.equals("application/json");
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
