package dev.orgmesh.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;

/** Error replies whose message quotes hostile input still make valid NATS headers (found by the bad-input suite). */
class RepliesTest {
    @Test
    void anErrorMessageWithNonAsciiOrLineBreaksMakesValidHeaders() {
        OrgmeshException e = new OrgmeshException(ErrorCode.DIRECTORY_BAD_REQUEST,
                "'\u00e9\uFFFD\n\r\u0001x' is not a valid id");
        Headers h = Replies.errorHeaders(e);
        assertThat(h.getFirst(HeaderNames.SERVICE_ERROR))
                .isEqualTo("'\\u00e9\\ufffd\\u000a\\u000d\\u0001x' is not a valid id");
        assertThat(h.getFirst(HeaderNames.SERVICE_ERROR_CODE)).isEqualTo("3006");
    }

    @Test
    void aLongMessageIsCutInTheHeader() {
        String value = Replies.headerValue("x".repeat(100_000));
        assertThat(value).hasSize(Replies.MAX_HEADER_CHARS).endsWith("...");
        assertThat(Replies.headerValue("short")).isEqualTo("short");
        assertThat(Replies.headerValue(null)).isEmpty();
    }

    @Test
    void anErrorReplyReadsBackAsItsExceptionWithTheWholeMessage() {
        OrgmeshException e = new OrgmeshException(ErrorCode.APPROVAL_NOT_APPROVER,
                "'r\u00e9mi' is not an approver of gate 'deploys'");
        io.nats.client.Message reply = io.nats.client.impl.NatsMessage.builder().subject("_INBOX.x")
                .headers(Replies.errorHeaders(e)).data(dev.orgmesh.protocol.Json.write(e.toBody())).build();
        OrgmeshException back = Replies.exception(reply, ErrorCode.APPROVAL_BAD_REQUEST);
        assertThat(back.code()).isEqualTo(ErrorCode.APPROVAL_NOT_APPROVER);
        assertThat(back.getMessage()).as("from the body, not the escaped header").isEqualTo(e.getMessage());

        io.nats.client.Message foreign = io.nats.client.impl.NatsMessage.builder().subject("_INBOX.x")
                .headers(new Headers().put(HeaderNames.SERVICE_ERROR_CODE, "500")
                        .put(HeaderNames.SERVICE_ERROR, "handler exploded"))
                .build();
        OrgmeshException other = Replies.exception(foreign, ErrorCode.APPROVAL_BAD_REQUEST);
        assertThat(other.code()).isEqualTo(ErrorCode.APPROVAL_BAD_REQUEST);
        assertThat(other.getMessage()).isEqualTo("handler exploded");
    }
}
