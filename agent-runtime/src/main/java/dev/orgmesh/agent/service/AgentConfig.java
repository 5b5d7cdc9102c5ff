package dev.orgmesh.agent.service;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.orgmesh.agent.artifact.S3Artifacts;
import dev.orgmesh.agent.runtime.RuntimeOptions;

/** Settings of one agent runtime ({@code orgmesh.agent.*}); NATS itself is {@code orgmesh.nats.*}. */
@ConfigMapping(prefix = "orgmesh.agent")
public interface AgentConfig {
    /** The org file (YAML or JSON) this agent's soul is read from. */
    Path orgFile();

    /** This agent's member id in the org. */
    String id();

    /**
     * The hub's leafnode URL the local leaf dials ({@code nats-leaf://host:7422}); checked at boot so a client port
     * (4222) is refused. Defaults to the org file's {@code hub.url}.
     */
    Optional<String> hubUrl();

    /**
     * The agent's NKey seed file (rendered by hub-bootstrap as {@code agents/<id>/user.nk}): vault requests are
     * signed with it. Without it an agent that lists secrets runs without them (and says so).
     */
    Optional<Path> nkeyFile();

    /**
     * How long boot waits for the vault bridge to hand over the agent's secrets before going on without them (kept
     * under three beacon intervals, so waiting for the vault does not get the agent reported down).
     */
    @WithDefault("20s")
    Duration secretsPatience();

    /** The local leaf the runtime may start and supervise ({@code orgmesh.agent.leaf.*}). */
    Leaf leaf();

    /** {@code orgmesh.agent.leaf.*}. */
    interface Leaf {
        /**
         * The leaf's config ({@code agents/<id>/leaf.conf} of the render). When set, the runtime starts
         * {@code nats-server -c} on it and restarts it whenever it dies; when not, it connects to
         * {@code orgmesh.nats.url} as given (a leaf run by someone else, or the hub itself).
         */
        Optional<Path> conf();

        /** The nats-server binary for the supervised leaf. */
        @WithDefault("nats-server")
        String natsServer();

        /** Where the supervised leaf's output goes; defaults to {@code <id>-leaf.log} beside the workspace. */
        Optional<Path> log();
    }

    /** Where {@code r2://} and {@code s3://} artifacts live ({@code orgmesh.agent.artifacts.*}). */
    Artifacts artifacts();

    /**
     * {@code orgmesh.agent.artifacts.*}: an S3-compatible store per scheme. A scheme without an endpoint keeps its
     * references in the company's NATS Object Store bucket (the default), so the messages need not change when a
     * store is configured later.
     */
    interface Artifacts {
        /** The largest artifact fetched or published (e.g. {@code 256M}); a larger one fails the message. */
        @WithDefault("256M")
        MemorySize maxSize();

        /** {@code r2://{bucket}/{key}}: Cloudflare R2 ({@code orgmesh.agent.artifacts.r2.*}). */
        S3Store r2();

        /** {@code s3://{bucket}/{key}}: AWS S3 or any S3-compatible store ({@code orgmesh.agent.artifacts.s3.*}). */
        S3Store s3();
    }

    /** One S3-compatible store. Credentials are named, never given: the values come from the agent's secrets. */
    interface S3Store {
        /**
         * The service URL without the bucket: {@code https://{account}.r2.cloudflarestorage.com},
         * {@code https://s3.{region}.amazonaws.com}, a MinIO URL. Unset: the scheme stays in the NATS Object Store.
         */
        Optional<String> endpoint();

        /** The region requests are signed for (AWS Signature V4); defaults to {@code auto} for r2, {@code us-east-1} for s3. */
        Optional<String> region();

        /**
         * {@code true}: requests go to {@code {endpoint}/{bucket}/{key}}; {@code false}: to
         * {@code {bucket}.{endpoint host}/{key}} (virtual-host style). Defaults to true for r2, false for s3.
         */
        Optional<Boolean> pathStyle();

        /**
         * The name of the agent's secret (else environment variable) holding the access key id; defaults to
         * {@code R2_ACCESS_KEY_ID} for r2, {@code AWS_ACCESS_KEY_ID} for s3.
         */
        Optional<String> accessKeySecret();

        /**
         * The name of the agent's secret (else environment variable) holding the secret access key; defaults to
         * {@code R2_SECRET_ACCESS_KEY} for r2, {@code AWS_SECRET_ACCESS_KEY} for s3.
         */
        Optional<String> secretKeySecret();

        /** How long to wait for a connection, and then for each read of the answer (not the whole transfer). */
        @WithDefault("30s")
        Duration timeout();
    }

    /** The S3-compatible store settings by scheme, for the schemes with an endpoint. */
    default Map<String, S3Artifacts.Settings> s3Stores() {
        Map<String, S3Artifacts.Settings> out = new LinkedHashMap<>();
        Map.of("r2", artifacts().r2(), "s3", artifacts().s3()).forEach((scheme, st) -> st.endpoint()
                .filter(e -> !e.isBlank()).ifPresent(e -> out.put(scheme, S3Artifacts.Settings.of(scheme, e,
                        st.region(), st.pathStyle(), st.accessKeySecret(), st.secretKeySecret(), st.timeout(),
                        artifacts().maxSize().asLongValue()))));
        return out;
    }

    /** Messages handled at once, across all sources. */
    @WithDefault("4")
    int concurrency();

    /** Pause between presence beacons. */
    @WithDefault("10s")
    Duration beaconInterval();

    /** Hand-offs after which a message is treated as a loop: escalated, not handled. */
    @WithDefault("10")
    int maxHops();

    /** Outgoing messages that may wait in memory while the hub is unreachable. */
    @WithDefault("10000")
    int outboxCapacity();

    /** The outbox's journal on disk ({@code orgmesh.agent.outbox-journal.*}). */
    Journal outboxJournal();

    /**
     * {@code orgmesh.agent.outbox-journal.*}: every message the agent sends is forced to disk before it is accepted
     * and sent again after the process dies (ADR 0003, "Update (issue 23)"); it holds only scrubbed messages.
     */
    interface Journal {
        /** Off: the outbox is memory only, and a message the agent initiated is lost if its process dies. */
        @WithDefault("true")
        boolean enabled();

        /** The journal's directory; defaults to {@code <id>-outbox} beside the workspace (out of the brain's reach). */
        Optional<Path> dir();
    }

    /** How long a handled message waits for its outgoing messages to be stored before it is redelivered. */
    @WithDefault("2m")
    Duration outboxWait();

    /** Longest a handler may work on one message (it is kept from redelivery meanwhile). */
    @WithDefault("15m")
    Duration handlerTimeout();

    /** How long a graceful stop waits for messages being worked and the outbox. */
    @WithDefault("10s")
    Duration shutdownGrace();

    /**
     * The agent's workspace directory (SOUL.md, ORG.md, … and fetched artifacts; a command brain's working
     * directory). Defaults to {@code ~/.orgmesh/workspaces/{company}/{id}}.
     */
    Optional<Path> workspace();

    /**
     * How many times this agent may already have handed one thread on (its occurrences in the thread's
     * {@code chain}) before a message bringing it back is treated as a loop: escalated, not handled.
     */
    @WithDefault("3")
    int maxChainRepeats();

    /**
     * Most direct messages one sender may send this agent per minute; more is ping-pong: escalated once, the rest of
     * that minute not handled.
     */
    @WithDefault("20")
    int pairRateLimit();

    /**
     * For demos and replays only: the instant (ISO-8601, e.g. {@code 2026-04-05T13:00:00Z}) the runtime's clock
     * starts at; it then runs at normal speed. Deadlines and {@code {{now}}} templates are read on that clock, so a
     * scenario written for another date (the seed's walkthrough, due 2026-04-07) plays as written.
     */
    Optional<String> clockStart();

    /**
     * Work a direct message from its core copy as soon as it crosses the hub, ahead of the durable inbox's copy,
     * which then only settles it (ADR 0006). Off: every DM waits for the inbox stream.
     */
    @WithDefault("true")
    boolean fastLane();

    /** The options for the plain runtime; the service adds the journal's directory, which depends on the workspace. */
    default RuntimeOptions options() {
        RuntimeOptions d = RuntimeOptions.defaults();
        Clock clock = clockStart().map(s -> Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(),
                Instant.parse(s)))).orElse(Clock.systemUTC());
        return new RuntimeOptions(concurrency(), Math.min(d.fetchBatch(), concurrency()), d.fetchWait(),
                beaconInterval(), maxHops(), d.recentIds(), outboxCapacity(), outboxWait(), d.publishTimeout(),
                d.publishBackoff(), d.nakBackoff(), handlerTimeout(), d.ackTimeout(), maxChainRepeats(),
                pairRateLimit(), clock, fastLane(), null);
    }
}
