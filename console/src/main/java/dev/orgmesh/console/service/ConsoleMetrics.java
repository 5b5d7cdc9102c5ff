package dev.orgmesh.console.service;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.spi.Connector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.orgmesh.service.channel.NatsInboundConnector;

/**
 * The console's meters (Prometheus names in brackets): messages the live feed took from {@code {co}.>}
 * ({@code orgmesh_console_feed_messages_total}), messages its channel dropped because the feed fell behind
 * ({@code orgmesh_console_feed_dropped_total}, the {@code orgmesh-nats} connector's count) and logins, by outcome
 * ({@code orgmesh_console_logins_total{outcome}}: {@code ok}, or {@code refused} for a wrong or missing token).
 * Counts only: no subject, member or token ever becomes a tag.
 */
@ApplicationScoped
public class ConsoleMetrics {
    private final Counter feed;
    private final Counter loginOk;
    private final Counter loginRefused;

    public ConsoleMetrics(MeterRegistry registry,
            @Connector(NatsInboundConnector.NAME) NatsInboundConnector channels) {
        this.feed = Counter.builder("orgmesh.console.feed.messages")
                .description("messages the live feed took from the company's subjects").register(registry);
        FunctionCounter.builder("orgmesh.console.feed.dropped", channels, c -> c.dropped(FeedChannel.NAME))
                .description("messages of the company's subjects the live feed dropped, the oldest first, because it"
                        + " fell behind")
                .register(registry);
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
