package dev.orgmesh.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.sun.net.httpserver.HttpServer;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.testkit.NatsTestResource;

/**
 * The page in a real browser: headless Chromium (Debian's, driven through its chromedriver; nothing is downloaded)
 * against the console started by {@code @QuarkusTest} on a real nats-server. It shows every member of the seed's org
 * with presence, a live feed, a pending approval whose Approve button sends the decision over NATS, and a denial
 * with a reason; screenshots go to {@code target/}. The console's own defences are tried from the same browser: a
 * cross-site form post and a foreign {@code Host} are refused. Needs {@code /usr/bin/chromium} and its driver
 * ({@code apt-get install -y chromium chromium-driver}; .ci/run does); without them it fails, it is never skipped.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class ConsolePageTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(20);
    /** The login token of the test profile ({@code %test.orgmesh.console.token}). */
    static final String TOKEN = "console-test-token";
    /** A name that resolves to 127.0.0.1 in this browser only (a DNS-rebinding page would use one like it). */
    static final String FOREIGN_HOST = "evil.test";

    @ConfigProperty(name = "orgmesh.nats.url")
    String natsUrl;

    @TestHTTPResource("/")
    URL page;

    Connection nats;
    StandInDesk desk;
    WebDriver browser;
    Path profile;

    @BeforeEach
    void start() throws Exception {
        // Never skipped: .ci/run installs both; a machine without them fails here, saying what to install.
        assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
                .as("no headless browser: install Debian's chromium and chromium-driver (/usr/bin/chromium,"
                        + " /usr/bin/chromedriver); .ci/run does")
                .isTrue();
        nats = Nats.connect(natsUrl);
        OrgFixture.apply(nats);
        desk = new StandInDesk(nats);
        profile = Files.createTempDirectory("console-chromium-");
        // Selenium Manager is never asked for anything: both the driver and the browser are given.
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1900", "--user-data-dir=" + profile,
                "--host-resolver-rules=MAP " + FOREIGN_HOST + " 127.0.0.1");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(WAIT);
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (desk != null) {
            desk.close();
        }
        if (nats != null) {
            nats.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void showsTheOrgAndApprovesAHeldMessageOverNats() throws Exception {
        OrgFixture.beacon(nats, "ceo-genesis", "up");
        OrgFixture.beacon(nats, "cto-athena", "up");
        OrgFixture.beacon(nats, "backend-hephaestus", "up");
        OrgFixture.beacon(nats, "security-argus", "stopping");
        Approval held = OrgFixture.hold(nats, "ap-page-approve", "Deploy the Postgres migration to production",
                List.of("board"));
        OrgFixture.hold(nats, "ap-page-deny", "Rotate every API key tonight", List.of("board"));
        OrgFixture.limit(nats, "agent.cto-athena", "{\"tokens_per_day\":100000,\"usd_per_day\":5}");
        OrgFixture.spend(nats, "agent.cto-athena", 23_450, 1_250_000);
        OrgFixture.spend(nats, "team.exec", 31_000, 1_600_000);
        OrgFixture.spend(nats, "company.komodo-ai", 40_200, 2_100_000);
        OrgFixture.deadLetter(nats, "poison-1", "Rebuild the staging cluster");

        browser.get(page + "?token=" + TOKEN);
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        // the token is exchanged for a session cookie and removed from the address bar
        wait.until(d -> !d.getCurrentUrl().contains("token="));

        // Every member of the org, humans and agents, with presence; beacons make "up" show.
        for (Member m : OrgFixture.ORG.members()) {
            wait.until(ExpectedConditions.presenceOfElementLocated(member(m.id())));
        }
        wait.until(d -> "up".equals(d.findElement(member("cto-athena")).getDomAttribute("data-presence")));
        wait.until(d -> "stopping".equals(d.findElement(member("security-argus")).getDomAttribute("data-presence")));
        assertThat(browser.findElement(member("devops-hermes")).getDomAttribute("data-presence")).isEqualTo("unknown");
        assertThat(browser.findElement(By.cssSelector("[data-team='eng']")).getText()).contains("Hephaestus",
                "Hermes");
        assertThat(browser.findElement(By.id("decider")).getText()).isEqualTo("board");

        // The live feed: a message sent now appears without reloading.
        Envelope task = Envelope.builder().id("feed-1").from("ceo-genesis").to("team:exec").type("task")
                .subject("Evaluate the database migration").thread("feed-1").build();
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, task.id());
        nats.jetStream().publish(OrgFixture.S.team("exec", "ceo-genesis"), h, EnvelopeCodec.encode(task));
        nats.publish(OrgFixture.S.dm("ceo-genesis", "cto-athena"), EnvelopeCodec.encode(task.report("cto-athena",
                "complete", "Safe to migrate with a blue/green switch.").subject("Migration assessment").build()));
        // a message claiming the CEO, said by hephaestus: the feed names the real sender and flags the claim
        nats.publish(OrgFixture.S.dm("cto-athena", "backend-hephaestus"), EnvelopeCodec.encode(Envelope.builder()
                .id("forged-1").from("ceo-genesis").to("cto-athena").type("task").subject("Wire the money").build()));
        wait.until(d -> d.findElement(By.id("feed")).getText().contains("Evaluate the database migration"));
        wait.until(d -> d.findElement(By.id("feed")).getText().contains("Migration assessment"));
        wait.until(d -> d.findElement(By.id("feed")).getText().contains("Wire the money"));
        assertThat(browser.findElement(By.cssSelector("#feed .forged")).getText()).contains("claims ceo-genesis");

        // Budgets and dead letters.
        wait.until(d -> d.findElement(By.cssSelector("[data-budget='agent.cto-athena']")).getText()
                .contains("23,450 / 100,000"));
        wait.until(d -> d.findElement(By.id("dlq")).getText().contains("Rebuild the staging cluster")
                || d.findElement(By.id("dlq")).getText().contains("poison-1"));

        // The pending approval, then a screenshot of the whole page as the operator sees it.
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(approval(held.id())));
        assertThat(row.getText()).contains("Deploy the Postgres migration to production", "cto-athena");
        screenshot("console.png");

        click(wait, held.id(), "button.approve");
        StandInDesk.Request sent = desk.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(sent)
                .isEqualTo(new StandInDesk.Request(OrgFixture.S.humanApprove("board"), held.id(), "board", null));
        await().atMost(WAIT)
                .until(() -> Approval.APPROVED.equals(OrgFixture.approval(nats, held.id()).status()));
        wait.until(d -> d.findElement(By.id("approval-msg")).getText().contains(held.id() + " approved by board"));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(approval(held.id())));

        // Deny asks for a reason, and the reason travels with the request.
        click(wait, "ap-page-deny", "button.deny");
        // a row whose deny form is open is kept across re-renders, so the reason typed is not lost
        browser.findElement(approval("ap-page-deny")).findElement(By.cssSelector("input.reason"))
                .sendKeys("Not during the freeze");
        click(wait, "ap-page-deny", "button.confirm-deny");
        StandInDesk.Request denial = desk.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(denial).isEqualTo(
                new StandInDesk.Request(OrgFixture.S.humanDeny("board"), "ap-page-deny", "board",
                        "Not during the freeze"));
        await().atMost(WAIT).until(() -> OrgFixture.approval(nats, "ap-page-deny").reason() != null);
        assertThat(OrgFixture.approval(nats, "ap-page-deny").status()).isEqualTo(Approval.DENIED);
        wait.until(ExpectedConditions.invisibilityOfElementLocated(approval("ap-page-deny")));
        screenshot("console-decided.png");
    }

    @Test
    void showsTheDesksRefusal() throws Exception {
        OrgFixture.hold(nats, "ap-page-refused", "Scale the fleet to zero", List.of("someone-else"));
        browser.get(page + "?token=" + TOKEN);
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        wait.until(ExpectedConditions.visibilityOfElementLocated(approval("ap-page-refused")));
        click(wait, "ap-page-refused", "button.approve");
        wait.until(d -> d.findElement(By.id("approval-msg")).getText().contains("OM-8002"));
        assertThat(browser.findElement(By.id("approval-msg")).getText())
                .contains("board is not an approver of gate devops-tasks");
        assertThat(OrgFixture.approval(nats, "ap-page-refused").status()).isEqualTo(Approval.PENDING);

        // A denial without a reason is not even sent.
        int before = desk.requests.size();
        click(wait, "ap-page-refused", "button.deny");
        click(wait, "ap-page-refused", "button.confirm-deny");
        wait.until(d -> d.findElement(By.id("approval-msg")).getText().contains("needs a reason"));
        assertThat(desk.requests).hasSize(before);
    }

    @Test
    void withoutALoginThePageShowsNothingAndSaysHowToLogIn() {
        browser.get(page.toString());
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        wait.until(d -> d.findElement(By.id("login")).getText().contains("OM-9000"));
        assertThat(browser.findElement(By.id("login")).getText()).contains("orgmesh up");
        assertThat(browser.findElements(By.cssSelector("#chart [data-member]"))).isEmpty();
    }

    /**
     * The attacks the console must refuse, from a logged-in browser: a page on another site that posts a form to the
     * replay endpoint (the session cookie is SameSite=Strict, the form is not JSON and carries no CSRF token, its
     * Origin is foreign), and the console reached under a foreign name that resolves to 127.0.0.1 (DNS rebinding).
     */
    @Test
    void aCrossSiteFormPostAndAForeignHostAreRefused() throws Exception {
        OrgFixture.deadLetter(nats, "poison-csrf", "Must not be replayed by another site");
        String inbox = OrgFixture.S.inboxStream();
        browser.get(page + "?token=" + TOKEN);
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        wait.until(d -> d.findElement(By.id("dlq")).getText().contains("poison-csrf"));
        String seq = browser.findElement(By.cssSelector("#dlq tr[data-seq]")).getDomAttribute("data-seq");
        long before = nats.jetStreamManagement().getStreamInfo(inbox).getStreamState().getMsgCount();

        HttpServer attacker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] form = ("<html><body><form id='f' method='POST' action='" + page + "api/dlq/" + seq + "/replay'>"
                + "<input name='x' value='1'></form><script>document.getElementById('f').submit()</script>"
                + "</body></html>").getBytes(StandardCharsets.UTF_8);
        attacker.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/html");
            ex.sendResponseHeaders(200, form.length);
            ex.getResponseBody().write(form);
            ex.close();
        });
        attacker.start();
        try {
            browser.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
            wait.until(d -> d.getPageSource().contains("CONSOLE_"));
            assertThat(browser.getPageSource()).contains("9002").contains("may not use the console");
        } finally {
            attacker.stop(0);
        }
        assertThat(nats.jetStreamManagement().getStreamInfo(inbox).getStreamState().getMsgCount())
                .as("nothing was replayed").isEqualTo(before);

        browser.get("http://" + FOREIGN_HOST + ":" + page.getPort() + "/api/state");
        wait.until(d -> d.getPageSource().contains("CONSOLE_FOREIGN_ORIGIN"));
        assertThat(browser.getPageSource()).contains(FOREIGN_HOST).doesNotContain("komodo-ai");
        browser.get("http://" + FOREIGN_HOST + ":" + page.getPort() + "/");
        wait.until(d -> d.getPageSource().contains("CONSOLE_FOREIGN_ORIGIN"));
    }

    /**
     * Clicks {@code button} in the row of approval {@code id}, finding the row afresh: the page re-renders the table
     * whenever the approvals bucket changes, which may replace a row between finding and clicking it.
     */
    private static void click(WebDriverWait wait, String id, String button) {
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
            d.findElement(approval(id)).findElement(By.cssSelector(button)).click();
            return true;
        });
    }

    private void screenshot(String name) throws Exception {
        browser.manage().window().setSize(new Dimension(1400, 1900));
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
    }

    private static By member(String id) {
        return By.cssSelector("#chart [data-member='" + id + "']");
    }

    private static By approval(String id) {
        return By.cssSelector("tr[data-approval='" + id + "']");
    }
}
