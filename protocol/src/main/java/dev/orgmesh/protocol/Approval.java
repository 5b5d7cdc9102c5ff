package dev.orgmesh.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A held message and its decision: the value under {@code id} in the approvals bucket. Only the approval desk
 * (hub-bootstrap) writes it; agents read it to check that a released message really was approved.
 *
 * @param id approval id ({@code ap-} + a hash of the message id and gate), the key in the bucket
 * @param gate the gate that held it
 * @param status pending, approved, denied, expired (denied by timeout), escalated (still pending, humans told)
 * @param subject the subject the message was published to
 * @param messageId the envelope id
 * @param from sender
 * @param to recipient as written in the envelope
 * @param type envelope type
 * @param summary a one-line description for the approvers (envelope subject or summary)
 * @param envelope the held message, verbatim
 * @param approvers humans who may decide
 * @param heldAt when it was held
 * @param timeoutAt when the gate's timeout applies
 * @param onTimeout deny, approve or escalate
 * @param decidedBy who decided ({@code timeout} when the gate's timeout did)
 * @param decidedAt when
 * @param reason why (required for a denial)
 * @param traceparent the W3C trace context of the held message (the hold's {@code traceparent}, or the desk's span of
 *        recording the hold), so the decision and the released message continue its trace; null when it had none
 */
public record Approval(String id, String gate, String status, String subject, String messageId, String from,
        String to, String type, String summary, JsonNode envelope, List<String> approvers, Instant heldAt,
        Instant timeoutAt, String onTimeout, String decidedBy, Instant decidedAt, String reason, String traceparent) {

    public static final String PENDING = "pending";
    public static final String APPROVED = "approved";
    public static final String DENIED = "denied";
    public static final String EXPIRED = "expired";
    public static final String ESCALATED = "escalated";

    public Approval {
        approvers = approvers == null ? List.of() : List.copyOf(approvers);
    }

    /** An approval without a trace context (records written before it was kept read the same way). */
    public Approval(String id, String gate, String status, String subject, String messageId, String from, String to,
            String type, String summary, JsonNode envelope, List<String> approvers, Instant heldAt, Instant timeoutAt,
            String onTimeout, String decidedBy, Instant decidedAt, String reason) {
        this(id, gate, status, subject, messageId, from, to, type, summary, envelope, approvers, heldAt, timeoutAt,
                onTimeout, decidedBy, decidedAt, reason, null);
    }

    /**
     * A human's decision, the request body on {@code {co}.human.approve.{human}} and {@code {co}.human.deny.{human}}
     * that the approval desk answers (with the decided {@link Approval}, or a service error).
     *
     * @param id the approval id
     * @param by the deciding human; the desk checks it against the subject's human (null: that human)
     * @param reason why; required for a denial, null when none
     */
    public record Decision(String id, String by, String reason) {
        public byte[] encode() {
            return Json.write(this);
        }
    }

    /** The approval id for a message held by a gate: the same for every recipient, so one message is held once. */
    public static String idFor(String messageId, String gate) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest((gate + "\n" + messageId).getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder("ap-");
            for (int i = 0; i < 10; i++) {
                sb.append(String.format(Locale.ROOT, "%02x", d[i]));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Still waiting for a human. */
    public boolean open() {
        return PENDING.equals(status) || ESCALATED.equals(status);
    }

    public Approval decided(String newStatus, String by, Instant at, String why) {
        return new Approval(id, gate, newStatus, subject, messageId, from, to, type, summary, envelope, approvers,
                heldAt, timeoutAt, onTimeout, by, at, why, traceparent);
    }

    public byte[] encode() {
        return Json.write(this);
    }

    public static Approval decode(byte[] value) {
        try {
            Approval a = Json.mapper().readValue(value, Approval.class);
            if (a.id() == null || a.status() == null || a.subject() == null) {
                throw new OrgmeshException(ErrorCode.ENVELOPE_MISSING_FIELD, "approval needs id, status and subject");
            }
            return a;
        } catch (IOException e) {
            String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new OrgmeshException(ErrorCode.ENVELOPE_MALFORMED_JSON, "malformed approval: " + m, e);
        }
    }
}
