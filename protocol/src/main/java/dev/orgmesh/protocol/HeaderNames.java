package dev.orgmesh.protocol;

/**
 * Every NATS header name orgmesh reads or writes, in one place. Named apart from jnats' {@code Headers} (the header
 * values of a message) so both can be imported side by side, with no fully-qualified names written inline.
 */
public final class HeaderNames {
    /** JetStream publish-side de-duplication key; orgmesh sends the envelope id here. */
    public static final String MSG_ID = "Nats-Msg-Id";
    /** W3C trace context, so one piece of work lines up across agents in tracing tools. */
    public static final String TRACEPARENT = "traceparent";
    /** The sender's NKey signature over the body (base64url), so receivers can tell verified agents apart. */
    public static final String SIGNATURE = "Orgmesh-Signature";
    /** The public NKey of the signer. */
    public static final String SIGNER = "Orgmesh-Signer";
    /** NATS micro service error description (as in nats.java's {@code ServiceMessage}). */
    public static final String SERVICE_ERROR = "Nats-Service-Error";
    /** NATS micro service error code. orgmesh puts its catalogue number here. */
    public static final String SERVICE_ERROR_CODE = "Nats-Service-Error-Code";
    /** On a dead letter: the catalogue code of why it was dead-lettered. */
    public static final String DLQ_CODE = "Orgmesh-Dlq-Code";
    /** On a dead letter: the human-readable reason. */
    public static final String DLQ_REASON = "Orgmesh-Dlq-Reason";
    /** On a dead letter: the subject the message was originally published to. */
    public static final String DLQ_ORIGINAL_SUBJECT = "Orgmesh-Dlq-Subject";
    /** On a dead letter: the stream and sequence it came from. */
    public static final String DLQ_ORIGINAL_STREAM = "Orgmesh-Dlq-Stream";
    public static final String DLQ_ORIGINAL_SEQUENCE = "Orgmesh-Dlq-Seq";
    /**
     * Where the server first stored a dead letter's original ({@code <stream> <seq>}: the audit stream for DMs and
     * tasks, read from the {@code Nats-Stream-Source} header the server put on the work-queue copy; the message's own
     * stream otherwise). A replay reads it there and republishes only what the server stored, on the subject it
     * stored it under, so a dead letter's filer cannot make a replay say anything else.
     */
    public static final String DLQ_STORED_AT = "Orgmesh-Dlq-Stored-At";
    /**
     * Where the server stored a held message ({@code <stream> <seq>}, as {@link #DLQ_STORED_AT}): the approval desk
     * reads it there and keeps the hold only when it is that message on that subject (a hold's other headers and body
     * are written by the runtime that files it).
     */
    public static final String HOLD_STORED_AT = "Orgmesh-Hold-Stored-At";
    /** The header the server puts on a message a stream sourced from another: {@code <stream> <seq> …}. */
    public static final String STREAM_SOURCE = "Nats-Stream-Source";

    /** On a released message: the approval id whose record (status approved) lets it through its gate. */
    public static final String APPROVAL = "Orgmesh-Approval";

    /** On a hold request: the gate that holds the message. */
    public static final String HOLD_GATE = "Orgmesh-Hold-Gate";
    /** On a hold request: the subject the held message was published to (where a release republishes it). */
    public static final String HOLD_SUBJECT = "Orgmesh-Hold-Subject";
    /** On a hold request: the recipient as the gate saw it ({@code cto-athena}, {@code role:role-devops}, …). */
    public static final String HOLD_RECIPIENT = "Orgmesh-Hold-Recipient";

    private HeaderNames() {
    }
}
