package dev.orgmesh.render;

/**
 * The services that connect to a company's account directly on the hub, each as its own NKey user with only the
 * rights its job needs (see {@link Permissions#forService}).
 */
public enum HubService {
    /** Publishes heartbeat ticks, reads presence, reports agents down. */
    HEARTBEAT("heartbeat"),
    /** Answers {@code {co}.vault.{agent}.get} in a queue group. */
    VAULT_BRIDGE("vault-bridge"),
    /** Applies JetStream assets, serves the {@code {co}.org.>} directory, moves dead letters. */
    HUB_BOOTSTRAP("hub-bootstrap"),
    /**
     * The human operator's credential for the {@code nats} CLI: everything inside the company's account, nothing in
     * other accounts.
     */
    OPERATOR("operator");

    private final String id;

    HubService(String id) {
        this.id = id;
    }

    /** The user name and file name of this service's credential. */
    public String id() {
        return id;
    }
}
