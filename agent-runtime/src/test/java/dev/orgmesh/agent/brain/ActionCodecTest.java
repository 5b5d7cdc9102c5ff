package dev.orgmesh.agent.brain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;

/** Every brain's actions are read the same way, and every mistake is named with its code and field. */
class ActionCodecTest {
    static final Envelope IN = Fixture.envelope("ceo", "cto", "task").id("t-1").subject("Ship v2").build();

    static Action read(String json) throws Exception {
        return ActionCodec.read(Json.mapper().readTree(json), IN);
    }

    static JsonNode tree(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    @Test
    void eachActionIsReadWithTheDefaultsOfAMessage() throws Exception {
        Action.Send send = (Action.Send) read("{\"action\":\"send\",\"summary\":\"done\"}");
        assertThat(send.message().to()).as("to defaults to the sender").isEqualTo("ceo");
        assertThat(send.message().type()).isEqualTo("report");
        assertThat(send.message().re()).isEqualTo("t-1");

        Action.Enqueue q = (Action.Enqueue) read(
                "{\"action\":\"enqueue\",\"role\":\"role-backend\",\"subject\":\"x\"}");
        assertThat(q.role()).isEqualTo("role-backend");
        assertThat(q.task().to()).isEqualTo("role:role-backend");
        assertThat(q.task().type()).isEqualTo("task");

        Action.Publish p = (Action.Publish) read(
                "{\"action\":\"publish\",\"event\":\"security.scan\",\"context\":\"c\"}");
        assertThat(p.type()).isEqualTo("security.scan");
        assertThat(p.event().to()).isEqualTo("event:security.scan");
        assertThat(p.event().type()).isEqualTo("event");
        assertThat(p.event().subject()).as("an event's subject defaults to its type").isEqualTo("security.scan");

        Action.Ask a = (Action.Ask) read("{\"action\":\"ask\",\"to\":\"dev1\",\"subject\":\"ok?\",\"timeout\":\"5s\"}");
        assertThat(a.to()).isEqualTo("dev1");
        assertThat(a.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(a.question().type()).isEqualTo("question");
        assertThat(a.question().extra()).as("the timeout is the ask's, not a field of the question")
                .doesNotContainKey("timeout");

        assertThat(read("{\"action\":\"secret\",\"name\":\"GH_TOKEN\"}")).isEqualTo(new Action.Secret("GH_TOKEN"));
        assertThat(read("{\"action\":\"artifact\",\"path\":\"r.md\",\"content\":\"# r\"}"))
                .isEqualTo(new Action.Artifact("r.md", "# r"));
        assertThat(read("{\"action\":\"escalate\",\"reason\":\"stuck\"}")).isEqualTo(new Action.Escalate("stuck"));
    }

    @Test
    void mistakesAreNamedWithTheirCodeAndField() {
        assertError("[1]", ErrorCode.ACTION_MALFORMED, "must be a JSON object");
        assertError("{\"to\":\"dev1\"}", ErrorCode.ACTION_MALFORMED, "field 'action' is missing");
        assertError("{\"action\":\"deploy\"}", ErrorCode.ACTION_UNKNOWN, "unknown action 'deploy'");
        assertError("{\"action\":\"publish\"}", ErrorCode.ACTION_MALFORMED, "field 'event' is required");
        assertError("{\"action\":\"publish\",\"event\":\"Deploy Now\"}", ErrorCode.ACTION_MALFORMED,
                "an event type is dot-separated tokens");
        assertError("{\"action\":\"send\",\"to\":\"role:role-backend\"}", ErrorCode.ACTION_MALFORMED,
                "use the enqueue action");
        assertError("{\"action\":\"enqueue\",\"role\":\"Role X\"}", ErrorCode.ACTION_MALFORMED, "field 'role'");
        assertError("{\"action\":\"ask\",\"to\":\"team:eng\"}", ErrorCode.ACTION_MALFORMED,
                "only a member can be asked");
        assertError("{\"action\":\"ask\",\"to\":\"dev1\",\"timeout\":\"soon\"}", ErrorCode.ACTION_MALFORMED,
                "field 'timeout'");
        assertError("{\"action\":\"artifact\",\"path\":\"a\",\"content\":3}", ErrorCode.ACTION_MALFORMED,
                "'content' must be text");
        assertError("{\"action\":\"send\",\"priority\":\"whenever\"}", ErrorCode.ACTION_MALFORMED, "priority");
    }

    private static void assertError(String json, ErrorCode code, String text) {
        assertThatThrownBy(() -> read(json)).as(json).isInstanceOfSatisfying(OrgmeshException.class,
                e -> assertThat(e.code()).isEqualTo(code)).hasMessageContaining(text);
    }
}
