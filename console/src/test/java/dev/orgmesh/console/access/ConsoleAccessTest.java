package dev.orgmesh.console.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;

/** Every rule of {@link ConsoleAccess}, without a server. */
class ConsoleAccessTest {
    static final int PORT = 8085;
    final ConsoleAccess access = new ConsoleAccess(Optional.of("s3cret"), List.of("console.internal:443"),
            new SecureRandom());

    static ConsoleAccess.Request get(String path, String host, String session) {
        return new ConsoleAccess.Request("GET", path, PORT, host, null, null, null, session);
    }

    static ConsoleAccess.Request post(String path, String origin, String type, String csrf, String session) {
        return new ConsoleAccess.Request("POST", path, PORT, "127.0.0.1:" + PORT, origin, type, csrf, session);
    }

    @Test
    void onlyTheRightTokenOpensASession() {
        assertThat(access.login("guess")).isEmpty();
        assertThat(access.login(null)).isEmpty();
        ConsoleAccess.Session s = access.login("s3cret").orElseThrow();
        assertThat(s.id()).hasSizeGreaterThanOrEqualTo(40).isNotEqualTo(s.csrf());
        assertThat(access.csrfOf(s.id())).isEqualTo(s.csrf());
        assertThat(new ConsoleAccess(Optional.empty(), List.of(), new SecureRandom()).login("")).isEmpty();
    }

    @Test
    void theHostMustBeTheConsolesOwn() {
        String session = access.login("s3cret").orElseThrow().id();
        for (String host : List.of("127.0.0.1:" + PORT, "localhost:" + PORT, "[::1]:" + PORT, "LOCALHOST:" + PORT,
                "console.internal:443")) {
            assertThat(access.check(get("/api/state", host, session)).allowed()).as(host).isTrue();
        }
        for (String host : List.of("evil.test:" + PORT, "127.0.0.1:9999", "127.0.0.1", "")) {
            assertThat(access.check(get("/api/state", host, session)).code()).as(host)
                    .isEqualTo(ErrorCode.CONSOLE_FOREIGN_ORIGIN);
        }
        assertThat(access.check(get("/", null, null)).code()).isEqualTo(ErrorCode.CONSOLE_FOREIGN_ORIGIN);
        assertThat(access.check(get("/", "evil.test:" + PORT, null)).code())
                .as("the page too: a rebinding page gets nothing").isEqualTo(ErrorCode.CONSOLE_FOREIGN_ORIGIN);
    }

    @Test
    void theApiNeedsASessionThePageDoesNot() {
        assertThat(access.check(get("/", "127.0.0.1:" + PORT, null)).allowed()).isTrue();
        assertThat(access.check(get("/console.js", "127.0.0.1:" + PORT, null)).allowed()).isTrue();
        assertThat(access.check(get("/q/health/ready", "127.0.0.1:" + PORT, null)).allowed()).isTrue();
        assertThat(access.check(get("/q/metrics", "127.0.0.1:" + PORT, null)).allowed()).as("counts only").isTrue();
        assertThat(access.check(get("/q/metrics", "evil.test:" + PORT, null)).code())
                .as("but only under the console's own name").isEqualTo(ErrorCode.CONSOLE_FOREIGN_ORIGIN);
        // anything else needs a session, whatever the router would make of it
        for (String path : List.of("/q/dev", "/q/metrics/x", "/apix/state", "/api", "/other")) {
            assertThat(access.check(get(path, "127.0.0.1:" + PORT, null)).code()).as(path)
                    .isEqualTo(ErrorCode.CONSOLE_LOGIN_REQUIRED);
        }
        assertThat(access.check(get("/api/state", "127.0.0.1:" + PORT, null)).status()).isEqualTo(401);
        assertThat(access.check(get("/api/state", "127.0.0.1:" + PORT, "made-up")).code())
                .isEqualTo(ErrorCode.CONSOLE_LOGIN_REQUIRED);
    }

    @Test
    void aChangeNeedsJsonTheSessionsCsrfTokenAndNoForeignOrigin() {
        ConsoleAccess.Session s = access.login("s3cret").orElseThrow();
        String path = "/api/dlq/7/replay";
        assertThat(access.check(post(path, null, "application/json", s.csrf(), s.id())).allowed()).isTrue();
        assertThat(access.check(post(path, "http://127.0.0.1:" + PORT, "application/json; charset=utf-8", s.csrf(),
                s.id())).allowed()).isTrue();

        assertThat(access.check(post(path, null, "application/json", null, s.id())).code())
                .isEqualTo(ErrorCode.CONSOLE_CSRF);
        assertThat(access.check(post(path, null, "application/json", "wrong", s.id())).code())
                .isEqualTo(ErrorCode.CONSOLE_CSRF);
        ConsoleAccess.Verdict form = access.check(
                post(path, null, "application/x-www-form-urlencoded", s.csrf(), s.id()));
        assertThat(form.code()).isEqualTo(ErrorCode.CONSOLE_CSRF);
        assertThat(form.status()).isEqualTo(415);
        assertThat(access.check(post(path, "http://evil.test", "application/json", s.csrf(), s.id())).code())
                .isEqualTo(ErrorCode.CONSOLE_FOREIGN_ORIGIN);
        assertThat(access.check(post(path, "null", "application/json", s.csrf(), s.id())).code())
                .as("an opaque origin (sandboxed frame)").isEqualTo(ErrorCode.CONSOLE_FOREIGN_ORIGIN);
        // the login itself needs JSON but no session
        assertThat(access.check(post(ConsoleAccess.LOGIN_PATH, null, "application/json", null, null)).allowed())
                .isTrue();
        assertThat(access.check(post(ConsoleAccess.LOGIN_PATH, null, "text/plain", null, null)).code())
                .isEqualTo(ErrorCode.CONSOLE_CSRF);
    }

    @Test
    void sessionsEnd() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T10:00:00Z"));
        ConsoleAccess timed = new ConsoleAccess(Optional.of("s3cret"), List.of(), new SecureRandom(), now::get);
        ConsoleAccess.Session s = timed.login("s3cret").orElseThrow();
        now.set(now.get().plus(Duration.ofHours(ConsoleAccess.SESSION_HOURS - 1)));
        assertThat(timed.csrfOf(s.id())).isEqualTo(s.csrf());
        now.set(now.get().plus(Duration.ofHours(2)));
        assertThat(timed.csrfOf(s.id())).isNull();
        assertThat(timed.check(get("/api/state", "127.0.0.1:" + PORT, s.id())).code())
                .isEqualTo(ErrorCode.CONSOLE_LOGIN_REQUIRED);
    }

    @Test
    void sessionsAreBounded() {
        String first = access.login("s3cret").orElseThrow().id();
        for (int i = 0; i < ConsoleAccess.MAX_SESSIONS; i++) {
            access.login("s3cret");
        }
        assertThat(access.csrfOf(first)).as("the oldest session was dropped").isNull();
    }
}
