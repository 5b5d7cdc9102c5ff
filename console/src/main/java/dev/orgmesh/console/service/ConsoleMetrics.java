package dev.orgmesh.console.service;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The console's meters (Prometheus names in brackets): messages the live feed took from {@code {co}.>}
 * ({@code orgmesh_console_feed_messages_total}) and logins, by outcome
 * ({@code orgmesh_console_logins_total{outcome}}: {@code ok}, or {@code refused} for a wrong or missing token).
 * Counts only: no subject, member or token ever becomes a tag.
 */
@ApplicationScoped
public class ConsoleMetrics {
    private final Counter feed;
    private final Counter loginOk;
    private final Counter loginRefused;

    public ConsoleMetrics(MeterRegistry registry) {
        this.feed = Counter.builder("orgmesh.console.feed.messages")
                .description("messages the live feed took from the company's subjects").register(registry);
        this.loginOk = login(registry, "ok");
        this.loginRefused = login(registry, "refused");
    }

    private static Counter login(MeterRegistry registry, String outcome) {
        return Counter.builder("orgmesh.console.logins").description("console logins, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    /** The live feed took one message. */
    public void feedMessage() {
        feed.increment();
    }

    /** A login opened a session ({@code ok}) or was refused. */
    public void login(boolean ok) {
        (ok ? loginOk : loginRefused).increment();
    }
}
