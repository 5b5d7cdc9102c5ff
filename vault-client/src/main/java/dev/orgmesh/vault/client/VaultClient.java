package dev.orgmesh.vault.client;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.vault.crypto.Hpke;
import dev.orgmesh.vault.crypto.Signatures;
import dev.orgmesh.vault.wire.SealedSecrets;
import dev.orgmesh.vault.wire.SecretReply;
import dev.orgmesh.vault.wire.SecretRequest;
import dev.orgmesh.vault.wire.WireCodec;

/**
 * What an agent runtime calls to get its secrets: makes a one-time X25519 key pair, signs the request with the
 * agent's NKey, sends it on {@code {co}.vault.{agent}.get} with a reply subject under the connection's inbox prefix,
 * and opens the sealed reply. Values exist only in the returned arrays; wipe them when done.
 *
 * <p>The connection must use the agent's inbox prefix ({@code _INBOX.<agent>}), as rendered permissions require.
 */
public final class VaultClient {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Subjects subjects;
    private final Clock clock;

    public VaultClient(Subjects subjects) {
        this(subjects, Clock.systemUTC());
    }

    public VaultClient(Subjects subjects, Clock clock) {
        this.subjects = subjects;
        this.clock = clock;
    }

    /**
     * Fetches {@code names} for {@code agentId}.
     *
     * @return each name's value, in the order asked
     * @throws OrgmeshException with the bridge's code ({@code VAULT_DENIED}, {@code VAULT_NOT_FOUND}, …), or
     *         {@code REQUEST_TIMEOUT} / {@code NO_RESPONDERS} when no bridge answered
     */
    public Map<String, byte[]> fetch(Connection connection, String agentId, NKey signingKey,
            Collection<String> names, Duration timeout) {
        return fetch(connection, agentId, signingKey, names, timeout, null);
    }

    /**
     * As {@link #fetch(Connection, String, NKey, Collection, Duration)}, with the W3C {@code traceparent} header
     * {@code traceparent} on the request (null: none), so the bridge's span of answering it joins the caller's trace.
     */
    public Map<String, byte[]> fetch(Connection connection, String agentId, NKey signingKey,
            Collection<String> names, Duration timeout, String traceparent) {
        SealedSecrets opened = fetchSealed(connection, agentId, signingKey, List.copyOf(names), timeout,
                traceparent);
        Map<String, byte[]> out = new LinkedHashMap<>();
        opened.secrets().forEach(i -> out.put(i.name(), i.value().clone()));
        opened.wipe();
        return out;
    }

    /** Like {@link #fetch} but keeps the path and version of each value. */
    public SealedSecrets fetchSealed(Connection connection, String agentId, NKey signingKey, List<String> names,
            Duration timeout) {
        return fetchSealed(connection, agentId, signingKey, names, timeout, null);
    }

    /** Like {@link #fetch(Connection, String, NKey, Collection, Duration, String)} but keeps path and version. */
    public SealedSecrets fetchSealed(Connection connection, String agentId, NKey signingKey, List<String> names,
            Duration timeout, String traceparent) {
        AsymmetricCipherKeyPair keyPair = Hpke.newKeyPair();
        byte[] nonceBytes = new byte[16];
        RANDOM.nextBytes(nonceBytes);
        String nonce = WireCodec.b64(nonceBytes);
        String inbox = connection.createInbox();
        SecretRequest request = new SecretRequest(SecretRequest.VERSION, agentId, names, nonce, clock.millis(), inbox,
                WireCodec.b64(Hpke.publicKey(keyPair)));
        byte[] body = WireCodec.encode(request);
        Headers h = new Headers();
        h.put(HeaderNames.SIGNATURE, Signatures.sign(signingKey, body));
        h.put(HeaderNames.SIGNER, Signatures.publicKey(signingKey));
        if (traceparent != null) {
            h.put(HeaderNames.TRACEPARENT, traceparent); // not signed: it names a trace, it grants nothing
        }

        Subscription sub = connection.subscribe(inbox);
        try {
            connection.publish(NatsMessage.builder().subject(subjects.vaultGet(agentId)).replyTo(inbox).headers(h)
                    .data(body).build());
            Message m = sub.nextMessage(timeout);
            if (m == null) {
                throw new OrgmeshException(ErrorCode.REQUEST_TIMEOUT,
                        "no answer from the vault bridge on " + subjects.vaultGet(agentId) + " within " + timeout);
            }
            if (m.isStatusMessage()) {
                boolean noResponders = m.getStatus() != null && m.getStatus().getCode() == 503;
                throw new OrgmeshException(noResponders ? ErrorCode.NO_RESPONDERS : ErrorCode.REQUEST_TIMEOUT,
                        (noResponders ? "no vault bridge is listening on " : "status reply on ")
                                + subjects.vaultGet(agentId));
            }
            if (Replies.isError(m)) {
                throw errorOf(m);
            }
            SecretReply reply = WireCodec.decodeReply(m.getData());
            if (!agentId.equals(reply.agent()) || !nonce.equals(reply.nonce()) || !Hpke.SUITE.equals(reply
                    .suite())) {
                throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST,
                        "the reply does not answer this request (agent, nonce or suite differ)");
            }
            byte[] plaintext = Hpke.open(keyPair, Hpke.info(agentId, nonce), Hpke.aad(body), new Hpke.Sealed(
                    WireCodec.b64("enc", reply.enc()), WireCodec.b64("ct", reply.ct())));
            try {
                return WireCodec.decodeSealed(plaintext);
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrgmeshException(ErrorCode.REQUEST_TIMEOUT, "interrupted while fetching secrets");
        } finally {
            sub.unsubscribe();
        }
    }

    /** The bridge's error reply as an exception with its catalogue code. */
    static OrgmeshException errorOf(Message m) {
        return Replies.exception(m, ErrorCode.VAULT_BACKEND_UNAVAILABLE);
    }
}
