package dev.orgmesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.ops.OrgStatus;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsCli;

/**
 * The local deployment end to end, as `./orgmesh up` runs it: real nats-server hub and leaves, the service jars
 * built earlier in the reactor, every agent present, a message handled, and `down` leaving no process behind.
 */
class LocalOrgTest {
    static final Path HOME = Path.of("..").toAbsolutePath().normalize();
    static final Path EXAMPLE = HOME.resolve("examples/komodo-ai.yaml");

    @TempDir
    Path state;

    final List<String> progress = new CopyOnWriteArrayList<>();

    LocalOrg local(Map<String, String> env) {
        return new LocalOrg(HOME, state, env, progress::add);
    }

    static int freeBase(Org org) {
        for (int i = 0; i < 20; i++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(200) * 100;
            try {
                LocalPorts.of(org, base).checkFree();
                return base;
            } catch (OrgmeshException taken) {
                // try another range
            }
        }
        throw new IllegalStateException("no free port range");
    }

    @Test
    void upBringsEveryAgentHandlesAMessageAndDownLeavesNothing() throws Exception {
        Org org = OrgLoader.load(EXAMPLE);
        LocalOrg local = local(System.getenv());
        int base = freeBase(org);
        Instant start = Instant.now();
        LocalOrg.Started s = local.up(EXAMPLE, base);
        List<LocalProcesses.Entry> started = new LocalProcesses(s.stateDir()).read();
        try {
            assertThat(Duration.between(start, Instant.now())).as("present within 60 s")
                    .isLessThan(Duration.ofSeconds(60));
            assertThat(started).as("hub, 5 leaves, 4 services (with the console), 5 agents").hasSize(1 + 5 + 4 + 5);
            String console = "http://127.0.0.1:" + LocalPorts.of(org, base).consoleHttp() + "/";
            String token = LocalOrg.consoleToken(s.operatorCreds());
            assertThat(s.consoleUrl()).as("the URL printed carries the console's login token")
                    .isEqualTo(console + "?token=" + token);
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(20)).until(() -> http.send(
                    HttpRequest.newBuilder(URI.create(console + "api/state")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 401);
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(console + "api/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                var page = http.send(HttpRequest.newBuilder(URI.create(console + "api/state")).header("Cookie", cookie)
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.body().split("\"state\":\"up\"", -1)).as("the console sees every agent up")
                        .hasSize(org.agents().size() + 1);
            });
            assertThat(progress).anySatisfy(l -> assertThat(l).isEqualTo("5 of 5 agents present"));
            approveThroughTheConsole(s, org, console, cookie);
            NatsSettings operator = NatsSettings.of(s.operatorUrl()).withCreds(s.operatorCreds());
            try (Connection c = NatsConnector.connect(operator)) {
                assertThat(OrgStatus.read(c, operator, org, Instant.now()))
                        .filteredOn(r -> r.member() instanceof dev.orgmesh.protocol.org.Agent)
                        .allMatch(r -> r.presence() == Liveness.UP);

                Envelope question = Envelope.builder().from("board").to("cto-athena").type("question")
                        .subject("How is the migration going?").build().withIdIfAbsent();
                Headers h = new Headers();
                h.put("Nats-Msg-Id", question.id());
                PublishAck ack = c.jetStream().publish(NatsMessage.builder()
                        .subject(org.subjects().dm("cto-athena", "board")) // the operator speaks as the board
                        .headers(h).data(EnvelopeCodec.encode(question)).build());
                assertThat(ack.getStream()).as("stored by the audit, which the inbox sources (ADR 0007)")
                        .isEqualTo(org.subjects().auditStream());
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    var ci = c.jetStreamManagement().getConsumerInfo(org.subjects().inboxStream(), "dm-cto-athena");
                    assertThat(ci.getAckFloor().getStreamSequence()).as("cto-athena's runtime took and acked the DM")
                            .isPositive();
                    assertThat(ci.getNumPending() + ci.getNumAckPending()).as("nothing left in its inbox").isZero();
                });
                theSeedsWayOnAnAgentsLeaf(c, org, base);
            }
            assertThatThrownBy(() -> local.up(EXAMPLE, base)).hasMessageContaining("already running");

            // the seed's walkthrough, as `orgmesh demo` runs it: task → Athena's report → Genesis's follow-up
            java.io.StringWriter demoOut = new java.io.StringWriter();
            picocli.CommandLine cl = dev.orgmesh.cli.OrgmeshCommand.commandLine();
            cl.setOut(new java.io.PrintWriter(demoOut, true));
            cl.setErr(new java.io.PrintWriter(demoOut, true));
            int demo = cl.execute("demo", EXAMPLE.toString(), "-s", s.operatorUrl(), "--creds",
                    s.operatorCreds().toString(),
                    "--wait", "90s");
            assertThat(demo).as(demoOut.toString()).isZero();
            assertThat(demoOut.toString()).contains("cto-athena → ceo-genesis [report")
                    .contains("backend-hephaestus → devops-hermes [task")
                    .contains("security-argus → cto-athena [report")
                    .contains("walkthrough complete");

            // audit --thread reconstructs it from the audit stream, in order, one trace across the agents
            java.util.regex.Matcher task = java.util.regex.Pattern.compile("published the seed's task (\\S+) to")
                    .matcher(demoOut.toString());
            assertThat(task.find()).as(demoOut.toString()).isTrue();
            java.io.StringWriter auditOut = new java.io.StringWriter();
            picocli.CommandLine audit = dev.orgmesh.cli.OrgmeshCommand.commandLine();
            audit.setOut(new java.io.PrintWriter(auditOut, true));
            audit.setErr(new java.io.PrintWriter(auditOut, true));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                auditOut.getBuffer().setLength(0);
                assertThat(audit.execute("audit", EXAMPLE.toString(), "-s", s.operatorUrl(), "--creds",
                        s.operatorCreds().toString(), "--thread", task.group(1))).isZero();
                String text = auditOut.toString();
                int t = text.indexOf("ceo-genesis → ");
                int report = text.indexOf("cto-athena → ceo-genesis [report");
                int followUp = text.indexOf("ceo-genesis → ", report + 1);
                assertThat(t).as(text).isGreaterThanOrEqualTo(0);
                assertThat(report).as("the report follows the task: " + text).isGreaterThan(t);
                assertThat(followUp).as("Genesis's follow-up follows the report: " + text).isGreaterThan(report);
                int scan = text.indexOf("security-argus → cto-athena [report");
                assertThat(scan).as("Argus's report on the deployment event is in the thread: " + text)
                        .isGreaterThan(followUp);
                String trace = dev.orgmesh.protocol.TraceContext.traceId(dev.orgmesh.protocol.TraceContext
                        .traceparent(null, task.group(1), task.group(1)));
                assertThat(text.split("\n")).filteredOn(l -> l.contains(" → "))
                        .as("every message of the thread carries the same W3C trace id").allMatch(l -> l.contains(
                                "trace 00-" + trace + "-"));
            });
        } finally {
            List<String> stopped = local.down(EXAMPLE);
            assertThat(stopped).hasSize(started.size());
        }
        for (LocalProcesses.Entry e : started) {
            assertThat(ProcessHandle.of(e.pid()).filter(ProcessHandle::isAlive)).as("%s stopped", e.name()).isEmpty();
        }
        assertThat(local.down(EXAMPLE)).as("a second down finds nothing").isEmpty();
    }

    /**
     * End to end with the real pieces: a task to the devops role meets the org's gate in Hermes's runtime, the
     * approval desk (hub-bootstrap) records it, the console page lists it, the board approves it with a click in
     * headless Chromium, logged in with the URL {@code up} printed, and Hermes's brain then handles it: its report,
     * answering the task, reaches the audit stream.
     */
    private static void approveThroughTheConsole(LocalOrg.Started s, Org org, String console, String cookie)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Envelope deploy = Envelope.builder().from("cto-athena").to("role:role-devops").type("task")
                .subject("Deploy the migration").build().withIdIfAbsent();
        String approval = dev.orgmesh.protocol.Approval.idFor(deploy.id(), "devops-tasks");
        try (Connection c = NatsConnector.connect(NatsSettings.of(s.operatorUrl()).withCreds(s.operatorCreds()))) {
            Headers h = new Headers();
            h.put("Nats-Msg-Id", deploy.id());
            c.jetStream().publish(NatsMessage.builder().subject(org.subjects().tasks("role-devops", "cto-athena"))
                    .headers(h)
                    .data(EnvelopeCodec.encode(deploy)).build());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(http.send(
                    HttpRequest.newBuilder(URI.create(console + "api/state")).header("Cookie", cookie).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains(approval));
            await("held: Hermes's brain does not see it").during(Duration.ofMillis(1500))
                    .atMost(Duration.ofSeconds(5)).until(() -> !hermesAnswered(c, org, deploy.id()));

            assertThat(Files.isExecutable(Path.of("/usr/bin/chromium"))
                    && Files.isExecutable(Path.of("/usr/bin/chromedriver")))
                    .as("Debian's chromium and chromium-driver (.ci/run installs them)").isTrue();
            approveByClicking(s.consoleUrl(), approval);
            await("the approved task reaches Hermes's brain, which reports").atMost(Duration.ofSeconds(30))
                    .until(() -> hermesAnswered(c, org, deploy.id()));
        }
    }

    /**
     * The seed's way of working (issue 22): a plain {@code nats pub} of envelope JSON with the real {@code nats} CLI on
     * cto-athena's own leaf (127.0.0.1, no credentials) is cto-athena speaking — stored as
     * {@code komodo-ai.dm.backend-hephaestus.cto-athena} and taken by Hephaestus's runtime; the same claiming to be
     * ceo-genesis is dead-lettered there as {@code OM-1108}, never handled.
     */
    private static void theSeedsWayOnAnAgentsLeaf(Connection c, Org org, int base) throws Exception {
        String leaf = "nats://127.0.0.1:" + LocalPorts.of(org, base).leaf("cto-athena");
        String to = org.subjects().dm("backend-hephaestus");
        String said = "{\"id\":\"seed-way-1\",\"from\":\"cto-athena\",\"to\":\"backend-hephaestus\","
                + "\"type\":\"question\",\"subject\":\"Ready for the migration?\"}";
        String forged = "{\"id\":\"seed-way-2\",\"from\":\"ceo-genesis\",\"to\":\"backend-hephaestus\","
                + "\"type\":\"task\",\"subject\":\"Wire the money\"}";
        for (String body : List.of(said, forged)) {
            NatsCli.Result r = NatsCli.run("-s", leaf, "pub", to, body);
            assertThat(r.exit()).as(r.output()).isZero();
        }
        String carried = org.subjects().dm("backend-hephaestus", "cto-athena");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            var thread = dev.orgmesh.cli.ops.AuditOps.thread(c.jetStreamManagement(), org.subjects(), "seed-way-1",
                    10_000);
            assertThat(thread).as("stored with cto-athena as its sender")
                    .anyMatch(e -> e.stored().getSubject().equals(carried));
            var dlq = new dev.orgmesh.messaging.ops.DeadLetterOps(c.jetStream(), c.jetStreamManagement(),
                    org.subjects()).list(1000);
            assertThat(dlq).as("the forged one dead-lettered by Hephaestus's runtime").anyMatch(
                    row -> "seed-way-2".equals(row.envelopeId()) && "1108".equals(row.code())
                            && carried.equals(row.originalSubject()));
            var ci = c.jetStreamManagement().getConsumerInfo(org.subjects().inboxStream(), "dm-backend-hephaestus");
            assertThat(ci.getNumPending() + ci.getNumAckPending()).as("both taken from its inbox").isZero();
        });
    }

    /** Whether Hermes's report answering {@code taskId} is in the audit stream. */
    private static boolean hermesAnswered(Connection c, Org org, String taskId) throws Exception {
        return dev.orgmesh.cli.ops.AuditOps.thread(c.jetStreamManagement(), org.subjects(), taskId, 10_000)
                .stream().anyMatch(e -> "devops-hermes".equals(e.envelope().from())
                        && taskId.equals(e.envelope().re()));
    }

    /** Opens the console in headless Chromium and clicks Approve on the approval's row. */
    private static void approveByClicking(String consoleUrl, String approval) throws Exception {
        Path profile = Files.createTempDirectory("local-org-chromium-");
        System.setProperty(org.openqa.selenium.chrome.ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY,
                "/usr/bin/chromedriver");
        var options = new org.openqa.selenium.chrome.ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1900", "--user-data-dir=" + profile);
        var service = new org.openqa.selenium.chrome.ChromeDriverService.Builder()
                .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        var browser = new org.openqa.selenium.chrome.ChromeDriver(service, options);
        try {
            browser.get(consoleUrl);
            var wait = new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(30));
            var row = org.openqa.selenium.By.cssSelector("tr[data-approval='" + approval + "']");
            wait.until(org.openqa.selenium.support.ui.ExpectedConditions.presenceOfElementLocated(row));
            // the table re-renders on every bucket change: find the row afresh if it was replaced before the click
            wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
                d.findElement(row).findElement(org.openqa.selenium.By.cssSelector("button.approve")).click();
                return true;
            });
            wait.until(d -> d.findElement(org.openqa.selenium.By.id("approval-msg")).getText()
                    .contains(approval + " approved by board"));
            Path shot = ((org.openqa.selenium.TakesScreenshot) browser)
                    .getScreenshotAs(org.openqa.selenium.OutputType.FILE).toPath();
            Files.copy(shot, Path.of("target", "local-org-console-approved.png"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            browser.quit();
        }
    }

    @Test
    void missingNatsServerThatCannotBeInstalledStartsNothing() throws Exception {
        // No server anywhere, and a Go toolchain whose `go install` fails (no network is touched).
        Path bin = Files.createDirectories(state.resolve("bin"));
        executable(bin.resolve("go"), "#!/bin/sh\necho 'go: module lookup disabled' >&2\nexit 1\n");
        LocalOrg local = local(Map.of("PATH", bin + ":/usr/bin:/bin", "HOME", state.toString(), "ORGMESH_CACHE",
                state.resolve("cache").toString(), "ORGMESH_NO_DEFAULT_PATHS", "1"));
        assertThatThrownBy(() -> local.up(EXAMPLE, 30_000)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_MISSING))
                .hasMessageContaining("no nats-server found").hasMessageContaining("installing nats-server")
                .hasMessageContaining("failed too").hasMessageContaining("nothing was started");
        assertThat(progress).anyMatch(l -> l.contains("go install github.com/nats-io/nats-server/v2@v"));
        assertThat(new LocalProcesses(state.resolve("komodo-ai")).read()).isEmpty();
    }

    @Test
    void anOldNatsServerIsRefusedAndNothingStarts() throws Exception {
        Path old = executable(Files.createDirectories(state.resolve("old")).resolve("nats-server"),
                "#!/bin/sh\necho 'nats-server: v2.9.10'\n");
        LocalOrg local = local(Map.of("PATH", "/usr/bin:/bin", "ORGMESH_NATS_SERVER", old.toString(),
                "ORGMESH_CACHE", state.resolve("cache").toString()));
        assertThatThrownBy(() -> local.up(EXAMPLE, 30_000)).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NATS_SERVER_TOO_OLD))
                .hasMessageContaining("nats-server 2.9.10 at " + old).hasMessageContaining("needs 2.12.0 or newer")
                .hasMessageContaining("ORGMESH_NATS_SERVER").hasMessageContaining("nothing was started");
        assertThat(new LocalProcesses(state.resolve("komodo-ai")).read()).isEmpty();
    }

    private static Path executable(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void aTakenPortIsNamedAndNothingStarts() throws Exception {
        Org org = OrgLoader.load(EXAMPLE);
        int base = freeBase(org);
        try (ServerSocket taken = new ServerSocket(base + 1, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> local(System.getenv()).up(EXAMPLE, base))
                    .hasMessageContaining("port " + (base + 1) + " (hub leafnode port)")
                    .hasMessageContaining("--base-port");
        }
        assertThat(new LocalProcesses(state.resolve("komodo-ai")).read()).isEmpty();
    }

    @Test
    void aBadOrgFileStartsNothing() throws Exception {
        Path bad = state.resolve("bad.yaml");
        Files.writeString(bad, "company: bad\nagents: [ { id: x, role: r, team: nope, reports_to: nobody } ]\n",
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> local(System.getenv()).up(bad, 30_000)).isInstanceOf(OrgInvalidException.class)
                .hasMessageContaining("unknown team 'nope'");
        assertThat(state.resolve("bad")).doesNotExist();
    }
}
