package dev.orgmesh.render;

import java.util.List;
import java.util.Optional;

import dev.orgmesh.protocol.Subjects;

/**
 * Renders an agent machine's local {@code nats-server} in leaf mode: clients on 127.0.0.1 connect without
 * credentials, no JetStream of its own (clients use the hub's with domain {@code hub}), and one remote that dials the
 * hub's leafnode port as the agent's leaf user (with several URLs, one per node of a clustered hub, the leaf dials
 * another when its node goes).
 */
final class LeafConfRenderer {
    private LeafConfRenderer() {
    }

    static String render(String company, String agentId, int localPort, List<String> remoteUrlsWithCredentials,
            Optional<TlsOptions> tls) {
        NatsConf c = new NatsConf();
        c.comment("orgmesh leaf for agent " + agentId + " of " + company + ", rendered by hub-bootstrap.");
        c.comment("Holds this agent's hub credential: keep it 0600 and out of version control.");
        c.comment("Local clients connect to 127.0.0.1 without credentials and get the agent's permissions on the hub.");
        c.kv("server_name", "leaf-" + agentId);
        c.kv("listen", HubConfRenderer.hostPort("127.0.0.1", localPort));
        c.blank();
        c.comment(
                "What local clients publish on the contract subjects is said by " + agentId + ": the sender is added");
        c.comment("as the subject's last token (docs/adr/0010-true-sender.md). The hub allows this leaf no other.");
        c.open("mappings");
        Subjects.of(company).leafMappings(agentId)
                .forEach((from, to) -> c.raw(NatsConf.quote(from), NatsConf.quote(to)));
        c.close();
        c.blank();
        c.open("leafnodes");
        c.openArray("remotes");
        c.openItem();
        if (remoteUrlsWithCredentials.size() == 1) {
            c.kv("url", remoteUrlsWithCredentials.getFirst());
        } else {
            c.list("urls", remoteUrlsWithCredentials);
        }
        tls.ifPresent(t -> {
            c.open("tls");
            if (t.leafCaFile() != null) {
                c.kv("ca_file", t.leafCaFile());
            }
            if (t.verifyClients()) {
                c.kv("cert_file", t.leafCertFile());
                c.kv("key_file", t.leafKeyFile());
            }
            c.close();
        });
        c.close();
        c.closeArray();
        c.close();
        return c.toString();
    }
}
