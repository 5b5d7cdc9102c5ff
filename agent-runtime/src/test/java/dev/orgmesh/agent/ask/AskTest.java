package dev.orgmesh.agent.ask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

import io.nats.client.api.StorageType;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/** Request/reply between agents on two leaves: answers, error answers, and every fallback within its bound. */
@NatsTest
@Leaves(2)
class AskTest {
    static final Duration SHORT = Duration.ofMillis(400);

    @Test
    void asksAreAnsweredAndSilenceRunsTheFallbackWithinItsTimeout(HubTopology topology) throws Exception {
        CountDownLatch slow = new CountDownLatch(1);
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            f.runtime(topology.leaf(0), "cto", (in, ctx) -> switch (String.valueOf(in.subject())) {
                case "fail" -> Outcome.failed("cannot say");
                case "slow" -> {
                    slow.await();
                    yield Outcome.nothing();
                }
                default -> Outcome.reply(in.reply("cto", "answer").summary("42 connections").build());
            }, null, Fixture.options());
            AgentRuntime dev1 = f.runtime(topology.leaf(1), "dev1", (in, ctx) -> Outcome.nothing(), null,
                    Fixture.options()).runtime();
            Envelope question = Fixture.envelope("dev1", "cto", "question").subject("pool size").build();

            // the answer (once cto's interest has reached dev1's leaf)
            Envelope answer = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> dev1.ask("cto", question, Duration.ofSeconds(2), Fallback.none()).await()
                            .atMost(Duration.ofSeconds(3)), a -> a != null);
            assertThat(answer.from()).isEqualTo("cto");
            assertThat(answer.summary()).isEqualTo("42 connections");
            assertThat(answer.re()).isNotNull();

            // an error answer is an answer: no fallback
            assertThatThrownBy(() -> dev1.ask("cto", question.toBuilder().subject("fail").build(), SHORT,
                    Fallback.defaultAnswer(question)).await().atMost(Duration.ofSeconds(3)))
                    .isInstanceOfSatisfying(OrgmeshException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.AGENT_HANDLER_FAILED));

            // nobody listening (dev2 is not running): the default answer, within the timeout
            Envelope fallback = Fixture.envelope("dev1", "dev1", "answer").summary("assume 10").build();
            long start = System.nanoTime();
            Envelope dflt = dev1.ask("dev2", question, SHORT, Fallback.defaultAnswer(fallback)).await()
                    .atMost(Duration.ofSeconds(3));
            assertThat(dflt.summary()).isEqualTo("assume 10");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT.plusMillis(500));

            // listening but silent: two retries, then REQUEST_TIMEOUT, within 3 × the timeout
            start = System.nanoTime();
            assertThatThrownBy(() -> dev1.ask("cto", question.toBuilder().subject("slow").build(), SHORT,
                    Fallback.retry(2)).await().atMost(Duration.ofSeconds(5)))
                    .isInstanceOfSatisfying(OrgmeshException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.REQUEST_TIMEOUT));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT.multipliedBy(3).plusSeconds(1));

            // silent target: its manager (cto) is asked instead
            Envelope fromManager = dev1.ask("dev2", question, SHORT, Fallback.askManager()).await()
                    .atMost(Duration.ofSeconds(3));
            assertThat(fromManager.from()).isEqualTo("cto");
            slow.countDown();
        } finally {
            slow.countDown();
        }
    }

    @Test
    void aHandlerThatCannotBlockIsCalledWhereTheMessageArrivedAndOneThatMayOnAVirtualThread(HubTopology topology)
            throws Exception {
        Map<String, Thread> calledOn = new ConcurrentHashMap<>();
        try (Fixture f = Fixture.start(topology, StorageType.Memory)) {
            Handler answer = (in, ctx) -> {
                calledOn.put(ctx.self().id() + "/" + ctx.source(), Thread.currentThread());
                return Outcome.reply(in.reply(ctx.self().id(), "answer").summary("ok").build());
            };
            f.runtime(topology.leaf(0), "cto", Handler.nonBlocking(answer), null, Fixture.options());
            f.runtime(topology.leaf(0), "ceo", answer, null, Fixture.options());
            AgentRuntime dev1 = f.runtime(topology.leaf(1), "dev1", (in, ctx) -> Outcome.nothing(), null,
                    Fixture.options()).runtime();
            for (String agent : List.of("cto", "ceo")) {
                Envelope q = Fixture.envelope("dev1", agent, "question").subject("threads").build();
                Envelope a = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> dev1.ask(agent, q, Duration.ofSeconds(2), Fallback.none()).await()
                                .atMost(Duration.ofSeconds(3)), x -> x != null);
                assertThat(a.summary()).isEqualTo("ok");
            }
            // a DM through the inbox (delivered while the fast lane's core copy may race it): a virtual thread either way
            // for the blocking handler
            f.js.publish(f.subjects.dm("ceo", "dev1"), dev.orgmesh.protocol.envelope.EnvelopeCodec.encode(
                    Fixture.envelope("dev1", "ceo", "question").subject("dm").build().withIdIfAbsent()));
            await().atMost(Duration.ofSeconds(10)).until(() -> calledOn.containsKey("ceo/dm"));
        }
        assertThat(calledOn.get("cto/ask").isVirtual()).as("the non-blocking handler runs on the ask's dispatcher")
                .isFalse();
        assertThat(calledOn.get("ceo/ask").isVirtual()).as("a blocking handler never runs on a dispatcher").isTrue();
        assertThat(calledOn.get("ceo/dm").isVirtual()).isTrue();
    }
}
