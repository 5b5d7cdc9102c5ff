package dev.orgmesh.evidence.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.KeyValueOptions;
import io.nats.client.Message;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.agent.runtime.RuntimeOptions;
import dev.orgmesh.assets.AssetApplier;
import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.evidence.RenderedHub;
import dev.orgmesh.evidence.badinput.Garbage.Body;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * An agent's ask endpoint ({@code {co}.ask.{agent}}, agent-runtime's pipeline) on a real JetStream server, with
 * {@code cto-athena}'s runtime answering every well-formed question: bad requests each get a reply, either an answer
 * or an {@code ENVELOPE_*} (1100–1199) or {@code AGENT_*} (4000–4099) error naming the problem, never
 * {@code AGENT_HANDLER_FAILED} (the handler here never fails, so that code would mean an unexpected exception), never
 * silence; after each one the agent still answers a good question.
 *
 * <p>A {@code from} that names another member than the subject's sender is refused as forged ({@code OM-1108}, ADR
 * 0010; counted as {@code forged-from}, see {@code docs/reliability.md}).
 */
class AskBadInputTest {
    static final String SUITE = "Ask/";
    static final String AGENT = "cto-athena";

    static NatsServer server;
    static Connection agentConnection;
    static Connection client;
    static AgentRuntime runtime;
    static Subjects s;

    @BeforeContainer
    static void start() throws Exception {
        server = NatsServer.jetStream();
        Org org = OrgLoader.load(RenderedHub.KOMODO_FILE);
        s = org.subjects();
        client = NatsConnector.connect(NatsSettings.of(server.clientUrl()).withName("evidence-client"));
        AssetApplier applier = new AssetApplier(client.jetStreamManagement(),
                client.keyValueManagement(KeyValueOptions.builder().build()), s.assetPrefix());
        OrgAssets assets = OrgAssets.of(org, AssetLimits.defaults());
        applier.apply(assets, applier.plan(assets), false);
        NatsSettings settings = NatsSettings.of(server.clientUrl()).withName("agent-" + AGENT);
        agentConnection = NatsConnector.connect(settings);
        runtime = new AgentRuntime(agentConnection, settings, AgentSoul.of(org, AGENT, Optional.empty()),
                (in, ctx) -> Outcome.reply(in.reply(AGENT, "answer").summary("understood").build()),
                RuntimeOptions.defaults().withLoopLimits(3, 1_000_000), new SimpleMeterRegistry(), null).start();
        client.flush(Duration.ofSeconds(5));
        agentConnection.flush(Duration.ofSeconds(5));
    }

    @AfterContainer
    static void stop() throws Exception {
        BadInputReport.write();
        if (runtime != null) {
            runtime.close();
        }
        for (Connection c : new Connection[]{agentConnection, client}) {
            if (c != null) {
                c.close();
            }
        }
        if (server != null) {
            server.close();
        }
    }

    @Property(tries = 120)
    void everyBadQuestionIsAnsweredAndTheAgentKeepsAnswering(@ForAll("questions") Body body) throws Exception {
        // said by ceo-genesis (the subject's sender token); a body that claims anyone else is refused as forged
        Message reply = Exchange.send(client, s.ask(AGENT, "ceo-genesis"), client.createInbox(), null, body.bytes());
        ErrorCode error = Exchange.errorOf(reply, 1100, 4099);
        String outcome;
        if (error != null) {
            assertThat(error.code() < 1200 || error.code() >= 4000).as("%s: %s", body, error).isTrue();
            assertThat(error).as("%s: %s", body, Exchange.text(reply)).isNotEqualTo(ErrorCode.AGENT_HANDLER_FAILED);
            outcome = error.name();
        } else {
            Envelope answer = EnvelopeCodec.decode(reply.getData());
            assertThat(answer.from()).isEqualTo(AGENT);
            assertThat(answer.type()).isEqualTo("answer");
            outcome = "answered";
        }
        BadInputReport.count(SUITE + "badQuestion", outcome);
        BadInputReport.count(SUITE + "badQuestion[" + body.kind().replaceAll(":.*", "") + "]", outcome);

        Envelope question = Envelope.builder().id("good-" + System.nanoTime()).from("ceo-genesis").to(AGENT)
                .type("question").subject("still there?").ts(Instant.now()).build();
        Message good = Exchange.send(client, s.ask(AGENT, "ceo-genesis"), client.createInbox(), null,
                EnvelopeCodec.encode(question));
        assertThat(Exchange.errorOf(good, 1100, 4099)).as("%s", Exchange.text(good)).isNull();
        assertThat(EnvelopeCodec.decode(good.getData()).re()).isEqualTo(question.id());
    }

    @Provide
    Arbitrary<Body> questions() {
        Arbitrary<Envelope> valid = Arbitraries.randomValue(r -> EnvelopeCodecBadInputTest.envelope(r).toBuilder()
                .id("q-" + Long.toString(r.nextLong() & Long.MAX_VALUE, 36)).from("ceo-genesis").to(AGENT)
                .type("question").deadline(null).hops(0).chain(List.of()).build());
        List<Arbitrary<Body>> all = new ArrayList<>(Garbage.generic(1024, 1_000, 600_000,
                valid.map(EnvelopeCodec::encode)));
        all.add(valid.flatMap(e -> {
            Map<String, JsonNodeType> fields = new HashMap<>();
            EnvelopeCodecBadInputTest.STRING_FIELDS.forEach(f -> fields.put(f, JsonNodeType.STRING));
            EnvelopeCodecBadInputTest.LIST_FIELDS.forEach(f -> fields.put(f, JsonNodeType.ARRAY));
            return Garbage.wrongType(EnvelopeCodec.toTree(e), fields);
        }));
        all.add(valid.flatMap(e -> Garbage.unknownMembers(EnvelopeCodec.toTree(e), EnvelopeCodec.KNOWN_FIELDS)));
        all.add(valid.flatMap(e -> Garbage.truncated(EnvelopeCodec.encode(e))));
        all.add(valid.flatMap(e -> Arbitraries.randomValue(r -> {
            ObjectNode o = EnvelopeCodec.toTree(e);
            return switch (r.nextInt(5)) {
                case 0 -> new Body("forged-from", bytes(o.put("from", "devops-hermes")));
                case 1 -> new Body("from-itself", bytes(o.put("from", AGENT)));
                case 2 -> new Body("too-many-hops", bytes(o.put("hops", 1_000 + r.nextInt(1_000))));
                case 3 -> new Body("bad-value", bytes(o.put("priority", "p" + Garbage.text(r))));
                default -> new Body("deadline-passed", bytes(o.put("deadline", "2001-01-01T00:00:00Z")));
            };
        })));
        return Arbitraries.oneOf(all);
    }

    static byte[] bytes(ObjectNode o) {
        return Garbage.bytes(o);
    }
}
