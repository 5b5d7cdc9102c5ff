package dev.orgmesh.protocol;

/**
 * The catalogue of every error orgmesh reports: a stable number, a stable name and a one-line meaning.
 *
 * <p>Numbers are grouped in blocks per module (as nats-server's {@code errors.json} and SmallRye's message ranges
 * do), so a code seen in a log line, a dead letter or a {@code Nats-Service-Error-Code} header tells which part of
 * the system spoke. Codes are never reused or renumbered; {@code docs/errors.md} lists them all and a test keeps
 * that file in step with this enum.
 *
 * <ul>
 * <li>1000–1099 org file</li>
 * <li>1100–1199 envelope and wire</li>
 * <li>2000–2099 messaging (shared NATS plumbing)</li>
 * <li>3000–3099 the hub: render, apply, hub-bootstrap</li>
 * <li>4000–4099 agent-runtime</li>
 * <li>5000–5099 heartbeat</li>
 * <li>6000–6099 vault-bridge</li>
 * <li>7000–7099 command line</li>
 * <li>8000–8099 human oversight (approvals, budgets)</li>
 * <li>9000–9099 console</li>
 * </ul>
 */
public enum ErrorCode {
    // @formatter:off
    // 1000–1099: org file
    ORG_UNREADABLE(1000, "the org file cannot be read or parsed"),
    ORG_INVALID(1001, "the org file breaks one or more rules"),
    ORG_UNKNOWN_FIELD(1002, "a field the org file format does not define"),
    ORG_MISSING_FIELD(1003, "a required field is absent"),
    ORG_BAD_ID(1004, "an id is not a safe NATS subject token"),
    ORG_DUPLICATE_ID(1005, "two members share an id"),
    ORG_UNKNOWN_TEAM(1006, "an agent names a team that is not defined"),
    ORG_UNKNOWN_MEMBER(1007, "a reference names a member that is not defined"),
    ORG_REPORTING_CYCLE(1008, "reports_to forms a cycle"),
    ORG_RESERVED_WORD(1009, "a team id collides with a reserved subject word"),
    ORG_BAD_DURATION(1010, "a duration is not of the form 30s, 10m, 1h30m, 1d"),
    ORG_BAD_CRON(1011, "a cron expression is not valid"),
    ORG_BAD_TIME_ZONE(1012, "a time zone is not a known IANA zone"),
    ORG_BAD_VALUE(1013, "a value has the wrong type or is out of range"),
    ORG_BAD_HUB_URL(1014, "the hub URL is malformed or names the client port instead of the leafnode port"),

    // 1100–1199: envelope and wire
    ENVELOPE_MALFORMED_JSON(1100, "the message body is not valid JSON"),
    ENVELOPE_NOT_AN_OBJECT(1101, "the message body is JSON but not an object"),
    ENVELOPE_WRONG_TYPE(1102, "an envelope field has the wrong JSON type"),
    ENVELOPE_TOO_LARGE(1103, "the message is larger than the configured limit"),
    ENVELOPE_MISSING_FIELD(1104, "a field required for this message type is absent"),
    ENVELOPE_BAD_VALUE(1105, "an envelope field has a value outside its allowed set"),
    ENVELOPE_INVALID_UTF8(1106, "the message body is not valid UTF-8"),
    ENVELOPE_TOO_DEEP(1107, "the message nests deeper than allowed"),
    ENVELOPE_FORGED_SENDER(1108, "the envelope's from is not the member who really sent it"),

    // 2000–2099: messaging
    NATS_UNAVAILABLE(2000, "NATS could not be reached"),
    NATS_PERMISSION_DENIED(2001, "NATS refused the operation for this user"),
    PUBLISH_NOT_ACKNOWLEDGED(2002, "JetStream did not acknowledge a publish in time"),
    NO_RESPONDERS(2003, "nobody is listening on the subject"),
    REQUEST_TIMEOUT(2004, "a request got no reply within its timeout"),
    DEAD_LETTERED(2005, "the message was moved to the dead-letter stream"),
    NATS_SERVER_MISSING(2006, "no nats-server executable was found where orgmesh looks for one"),
    NATS_SERVER_TOO_OLD(2007, "the nats-server found is older than the oldest release orgmesh supports"),
    NATS_SERVER_START_FAILED(2008, "a nats-server was started but did not become ready"),
    DEAD_LETTER_REPLAY_REFUSED(2009, "a dead letter names a destination a replay may not publish to"),
    OUTBOX_JOURNAL(2010, "the outbox's journal on disk could not be written or read"),
    CHANNEL_MISCONFIGURED(2011, "an orgmesh-nats channel cannot subscribe as configured"),
    CHANNEL_OVERFLOW(2012, "a channel's consumer fell behind and its oldest messages were dropped"),

    // 3000–3099: the hub (render, apply, hub-bootstrap)
    RENDER_FAILED(3000, "the hub or leaf configuration could not be rendered"),
    APPLY_FAILED(3001, "a JetStream asset could not be created or updated"),
    APPLY_REMOVAL_NEEDS_FLAG(3002, "the plan removes assets and --prune was not given"),
    DIRECTORY_UNKNOWN_MEMBER(3003, "the directory has no such member"),
    DIRECTORY_UNKNOWN_TEAM(3004, "the directory has no such team"),
    DIRECTORY_UNKNOWN_ROLE(3005, "the directory has no member with that role"),
    DIRECTORY_BAD_REQUEST(3006, "the directory request is malformed"),

    // 4000–4099: agent-runtime
    AGENT_UNKNOWN(4000, "no agent with that id in the org"),
    AGENT_WRONG_HUB_PORT(4001, "the hub address names a client port where the leafnode port (7422) belongs"),
    AGENT_HANDLER_FAILED(4002, "the brain failed while handling a message"),
    AGENT_DEADLINE_PASSED(4003, "the message's deadline passed before it was handled"),
    AGENT_LOOP_DETECTED(4004, "the hand-off limit was reached or the thread came back through the chain"),
    AGENT_BLOCKED(4005, "the brain reported it is blocked"),
    AGENT_HANDLED_RECORD_UNAVAILABLE(4006, "the handled record could not be read or written; the runtime goes on at least once"),
    AGENT_ESCALATION_UNANSWERED(4010, "nobody answered an escalation within the step timeout; it climbed one level up the reports_to chain"),
    AGENT_ESCALATION_STATE_UNAVAILABLE(4011, "the escalations bucket could not be read or written; open deadlines are kept in this process only"),
    ACTION_UNKNOWN(4050, "a brain asked for an action orgmesh does not have"),
    ACTION_MALFORMED(4051, "an action is not a JSON object of the documented shape, or a field has the wrong type"),
    ACTION_FORBIDDEN(4052, "the agent's role may not take that action (roles.<role>.actions in the org file)"),
    ACTION_TOO_MANY(4053, "a brain asked for more actions, or bigger ones, than one message may cause"),
    ACTION_UNKNOWN_SECRET(4054, "the agent has no secret of that name"),
    ACTION_FAILED(4055, "the action was valid but could not be carried out (no answer, a store or bridge away)"),

    // 5000–5099: heartbeat
    HEARTBEAT_BAD_SCHEDULE(5000, "a heartbeat schedule cannot be computed"),
    HEARTBEAT_AGENT_DOWN(5001, "an agent missed its presence beacons"),

    // 6000–6099: vault-bridge
    VAULT_DENIED(6000, "the agent may not read that secret"),
    VAULT_NOT_FOUND(6001, "the secret does not exist"),
    VAULT_REPLAY(6002, "the request's nonce was already used or its timestamp is out of range"),
    VAULT_BAD_SIGNATURE(6003, "the request is unsigned or its signature does not verify"),
    VAULT_BACKEND_UNAVAILABLE(6004, "the secret backend could not be reached"),
    VAULT_BAD_REQUEST(6005, "the secret request is malformed"),

    // 7000–7099: command line
    CLI_USAGE(7000, "the command was called with wrong arguments"),
    CLI_FILE_NOT_FOUND(7001, "a file named on the command line does not exist"),

    // 8000–8099: human oversight
    APPROVAL_UNKNOWN(8000, "no held message with that approval id"),
    APPROVAL_ALREADY_DECIDED(8001, "the held message was already approved, denied or expired"),
    APPROVAL_NOT_APPROVER(8002, "the member deciding is not an approver of the gate"),
    APPROVAL_BAD_REQUEST(8003, "the approval request is malformed"),
    APPROVAL_DENIED(8004, "a human denied the held message"),
    APPROVAL_EXPIRED(8005, "nobody decided within the gate's timeout and the gate denies"),
    APPROVAL_FORGED(8006, "a message claims an approval its record does not grant"),
    APPROVAL_UNKNOWN_GATE(8007, "a hold names an approval gate the org does not define; it is refused, never released"),
    APPROVAL_FORBIDDEN_RELEASE(8008, "a held message would be released where its sender may not publish; it is refused"),
    APPROVAL_REQUIRED(8009, "an ask matches an approval gate; an ask cannot wait for a human, so it is refused"),
    BUDGET_EXHAUSTED(8010, "a hard budget limit stops the agent from calling its model"),
    BUDGET_BAD_REQUEST(8011, "the budget request is malformed"),

    // 9000–9099: console
    CONSOLE_LOGIN_REQUIRED(9000, "the console needs a login: open the URL `orgmesh up` printed (it carries the token)"),
    CONSOLE_BAD_TOKEN(9001, "the console login token is wrong"),
    CONSOLE_FOREIGN_ORIGIN(9002, "the request names a Host or Origin that is not the console's own"),
    CONSOLE_CSRF(9003, "a state-changing request lacks the session's CSRF token or is not JSON");
    // @formatter:on

    private final int code;
    private final String meaning;

    ErrorCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The stable number, sent in {@code Nats-Service-Error-Code} and error bodies. */
    public int code() {
        return code;
    }

    /** One line saying what the code means in general; the detail of one occurrence goes in the message. */
    public String meaning() {
        return meaning;
    }

    /** {@code OM-1007} style label used in logs, so every occurrence is greppable. */
    public String label() {
        return "OM-" + code;
    }

    /** Looks a code up by number; {@code null} when it is not in the catalogue. */
    public static ErrorCode byCode(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
