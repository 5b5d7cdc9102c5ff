package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.nats.client.Dispatcher;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/** Poison and malformed messages end in the dead-letter stream with their reason; the agent keeps serving. */
@NatsTest
@Leaves(1)
class DeadLetterTest {

    @Test
    void poisonAndMalformedAreDeadLetteredAndTheAgentKeepsServing(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Set<String> handled = ConcurrentHashMap.newKeySet();
            AtomicInteger poisonAttempts = new AtomicInteger();
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                if ("poison".equals(in.subject())) {
                    poisonAttempts.incrementAndGet();
                    throw new IllegalStateException("boom: cannot digest " + in.id());
                }
                handled.add(in.id());
                return Outcome.nothing();
            }, null, Fixture.options());

            // the agent dead-letters the poison itself and terminates it: the server announces a termination, never
            // an undelivered message (which the hub's desk would move)
            List<String> announced = new CopyOnWriteArrayList<>();
            Dispatcher advisories = f.hubClient.createDispatcher(m -> announced.add(m.getSubject()));
            advisories.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>");
            advisories.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>");
            f.hubClient.flush(Duration.ofSeconds(2));

            Envelope poison = Fixture.envelope("ceo", "cto", "task").id("poison-1").subject("poison").build();
            f.publish(f.subjects.dm("cto"), poison);
            // known sender, wrong field type: dead letter plus an error reply to ceo
            f.publishRaw(f.subjects.dm("cto"), "ceo", """
                    {"id":"bad-1","from":"ceo","to":"cto","type":"task","hops":"many"}"""
                    .getBytes(StandardCharsets.UTF_8));
            // not JSON at all: dead letter, nobody to answer
            f.publishRaw(f.subjects.dm("cto"), "ceo", "{not json".getBytes(StandardCharsets.UTF_8));

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(f.deadLetters()).hasSize(3));
            List<MessageInfo> dead = f.deadLetters();
            assertThat(dead).allSatisfy(m -> {
                assertThat(m.getSubject()).isEqualTo(f.subjects.dlq("inbox", "cto"));
                assertThat(m.getHeaders().getFirst(HeaderNames.DLQ_ORIGINAL_SUBJECT))
                        .isEqualTo(f.subjects.dm("cto", "ceo"));
                assertThat(m.getHeaders().getFirst(HeaderNames.DLQ_ORIGINAL_STREAM))
                        .isEqualTo(f.subjects.inboxStream());
            });
            MessageInfo poisoned = dead.stream()
                    .filter(m -> new String(m.getData(), StandardCharsets.UTF_8).contains("poison-1")).findFirst()
                    .orElseThrow();
            assertThat(poisoned.getHeaders().getFirst(HeaderNames.DLQ_CODE))
                    .isEqualTo(String.valueOf(ErrorCode.DEAD_LETTERED.code()));
            assertThat(poisoned.getHeaders().getFirst(HeaderNames.DLQ_REASON)).contains("boom: cannot digest poison-1")
                    .contains("delivered 3 times");
            assertThat(poisonAttempts).hasValue(Fixture.MAX_DELIVER);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(announced)
                    .anyMatch(a -> a.startsWith("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.")));
            assertThat(announced).noneMatch(a -> a.startsWith("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."));
            assertThat(dead).extracting(m -> m.getHeaders().getFirst(HeaderNames.DLQ_CODE)).contains(
                    String.valueOf(ErrorCode.ENVELOPE_WRONG_TYPE.code()),
                    String.valueOf(ErrorCode.ENVELOPE_MALFORMED_JSON.code()));

            // ceo sent the poison; its manager, the human board, is told
            JetStreamSubscription board = f.bind(f.subjects.inboxStream(), "dm-board");
            Envelope escalation = next(board);
            assertThat(escalation.type()).isEqualTo("escalation");
            assertThat(escalation.from()).isEqualTo("cto");
            assertThat(escalation.re()).isEqualTo("poison-1");
            assertThat(escalation.context()).contains("OM-2005").contains("boom");
            assertThat(escalation.extra()).containsKey("original");

            // ceo gets an error reply for its malformed message
            JetStreamSubscription ceo = f.bind(f.subjects.inboxStream(), "dm-ceo");
            Envelope error = next(ceo);
            assertThat(error.type()).isEqualTo("error");
            assertThat(error.re()).isEqualTo("bad-1");
            assertThat(error.context()).contains("OM-1102").contains("hops");

            // and the agent still serves
            f.publish(f.subjects.dm("cto"), Fixture.envelope("ceo", "cto", "task").id("good-1").build());
            await().atMost(Duration.ofSeconds(10)).until(() -> handled.contains("good-1"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    f.jsm.getStreamInfo(f.subjects.inboxStream()).getStreamState().getMsgCount())
                    .as("the inbox holds none of them any more (escalation and error reply are read above)")
                    .isZero());
        }
    }

    private static Envelope next(JetStreamSubscription sub) throws Exception {
        List<Message> got = sub.fetch(1, Duration.ofSeconds(10));
        assertThat(got).hasSize(1);
        got.getFirst().ackSync(Duration.ofSeconds(5));
        return EnvelopeCodec.decode(got.getFirst().getData());
    }
}
