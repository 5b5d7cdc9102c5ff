package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import io.nats.client.Message;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * The true sender (issue 22, ADR 0010): a message whose envelope names another sender than the sender token of the
 * subject the hub carried it on never reaches the brain, on any source — DM (through the inbox and the fast lane),
 * team, company, task queue, event, ask. It is dead-lettered as {@code ENVELOPE_FORGED_SENDER} with a reason that
 * names both, and the error reply goes to whoever really sent it, never to the member it names. The first attack of
 * the issue, exactly: a task to cto "from" its manager ceo, sent by dev1.
 */
@NatsTest
@Leaves(1)
class TrueSenderTest {

    @Test
    void aMessageClaimingAnotherSenderIsDeadLetteredOnEverySource(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Map<String, String> handled = new ConcurrentHashMap<>();
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                handled.put(in.id(), ctx.source() + " from " + in.from());
                return Outcome.nothing();
            }, null, Fixture.options());
            Fixture.Inbox dev1 = f.inbox("dev1");
            Fixture.Inbox ceo = f.inbox("ceo");

            // said by dev1, claiming to be ceo (cto's manager) or board: carried with dev1 as sender
            Map<String, String> forged = Map.of(
                    "f-dm", f.subjects.dm("cto", "dev1"),
                    "f-team", f.subjects.team("exec", "dev1"),
                    "f-all", f.subjects.all("dev1"),
                    "f-task", f.subjects.tasks("role-cto", "dev1"),
                    "f-event", f.subjects.event("dev1", "deployment"));
            for (Map.Entry<String, String> e : forged.entrySet()) {
                f.publish(e.getValue(), Fixture.envelope("ceo", "cto", "task").id(e.getKey()).subject("do it").build());
            }
            // and the genuine ones, so the agent shows it still serves
            f.publish(f.subjects.dm("cto"), Fixture.envelope("ceo", "cto", "task").id("g-dm").build());
            f.publish(f.subjects.team("exec"), Fixture.envelope("ceo", "team:exec", "status").id("g-team").build());

            await().atMost(Duration.ofSeconds(15)).until(() -> handled.containsKey("g-dm")
                    && handled.containsKey("g-team") && forgedLetters(f).size() == forged.size());
            assertThat(handled).as("the brain saw only the genuine ones, from their real sender")
                    .containsOnly(Map.entry("g-dm", "dm from ceo"), Map.entry("g-team", "team from ceo"));
            List<MessageInfo> letters = forgedLetters(f);
            assertThat(letters).extracting(m -> m.getHeaders().getFirst(HeaderNames.DLQ_REASON))
                    .allMatch(r -> r.contains("says it is from 'ceo' but was sent by 'dev1'"));
            assertThat(letters).extracting(m -> m.getHeaders().getFirst(HeaderNames.DLQ_ORIGINAL_SUBJECT))
                    .containsExactlyInAnyOrderElementsOf(forged.values());

            // the real sender is told, five times; the member it named is told nothing
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.ofType("error").size() == forged.size());
            assertThat(dev1.ofType("error")).allSatisfy(e -> assertThat(e.context()).contains("OM-1108"));
            assertThat(ceo.all()).as("ceo was not told of (or acknowledged for) messages it never sent").isEmpty();
        }
    }

    /**
     * A DM to cto whose envelope is "addressed" to dev2 (so a gate matching on dev2 would miss it, and cto's gates
     * would not look for it): not handled, dead-lettered as ENVELOPE_BAD_VALUE, its sender told.
     */
    @Test
    void aMessageAddressedElsewhereThanItsSubjectIsNotHandled(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Map<String, String> handled = new ConcurrentHashMap<>();
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                handled.put(in.id(), ctx.source());
                return Outcome.nothing();
            }, null, Fixture.options());
            Fixture.Inbox dev1 = f.inbox("dev1");
            f.publish(f.subjects.dm("cto", "dev1"), Fixture.envelope("dev1", "dev2", "task").id("m-1").build());
            f.publish(f.subjects.team("exec", "dev1"), Fixture.envelope("dev1", "all", "task").id("m-2").build());
            f.publish(f.subjects.dm("cto", "dev1"), Fixture.envelope("dev1", "cto", "task").id("m-ok").build());
            String bad = String.valueOf(ErrorCode.ENVELOPE_BAD_VALUE.code());
            await().atMost(Duration.ofSeconds(15)).until(() -> handled.containsKey("m-ok") && f.deadLetters().stream()
                    .filter(m -> bad.equals(m.getHeaders().getFirst(HeaderNames.DLQ_CODE))).count() == 2);
            assertThat(handled).containsOnlyKeys("m-ok");
            assertThat(f.deadLetters()).extracting(m -> m.getHeaders().getFirst(HeaderNames.DLQ_REASON))
                    .anyMatch(r -> r.contains("addressed to 'dev2'") && r.contains(f.subjects.dm("cto")))
                    .anyMatch(r -> r.contains("addressed to 'all'") && r.contains(f.subjects.team("exec")));
            await().atMost(Duration.ofSeconds(10)).until(() -> dev1.ofType("error").size() == 2);
        }
    }

    @Test
    void aForgedAskIsRefusedWithItsOwnCode(HubTopology topology) throws Exception {
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Map<String, String> handled = new ConcurrentHashMap<>();
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> {
                handled.put(in.id(), in.from());
                return Outcome.reply(in.reply("cto", "answer").subject("ok").build());
            }, null, Fixture.options());
            byte[] forged = EnvelopeCodec.encode(Fixture.envelope("ceo", "cto", "question").id("q-forged").build());
            Message refused = await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(
                    () -> f.hubClient.request(f.subjects.ask("cto", "dev1"), forged, Duration.ofSeconds(2)),
                    m -> m != null && !m.isStatusMessage());
            assertThat(Replies.isError(refused)).isTrue();
            assertThat(refused.getHeaders().getFirst(HeaderNames.SERVICE_ERROR_CODE))
                    .isEqualTo(String.valueOf(ErrorCode.ENVELOPE_FORGED_SENDER.code()));
            assertThat(refused.getHeaders().getFirst(HeaderNames.SERVICE_ERROR)).contains("'ceo'").contains("'dev1'");
            await().atMost(Duration.ofSeconds(10)).until(() -> forgedLetters(f).size() == 1);
            assertThat(forgedLetters(f).getFirst().getHeaders().getFirst(HeaderNames.DLQ_ORIGINAL_SUBJECT))
                    .isEqualTo(f.subjects.ask("cto", "dev1"));

            byte[] genuine = EnvelopeCodec.encode(Fixture.envelope("dev1", "cto", "question").id("q-ok").build());
            Message answered = f.hubClient.request(f.subjects.ask("cto", "dev1"), genuine, Duration.ofSeconds(5));
            assertThat(Replies.isError(answered)).isFalse();
            Envelope a = EnvelopeCodec.decode(answered.getData());
            assertThat(a.re()).isEqualTo("q-ok");
            assertThat(handled).containsOnly(Map.entry("q-ok", "dev1"));
        }
    }

    private static List<MessageInfo> forgedLetters(Fixture f) throws Exception {
        String code = String.valueOf(ErrorCode.ENVELOPE_FORGED_SENDER.code());
        return f.deadLetters().stream().filter(m -> code.equals(m.getHeaders().getFirst(HeaderNames.DLQ_CODE)))
                .toList();
    }
}
