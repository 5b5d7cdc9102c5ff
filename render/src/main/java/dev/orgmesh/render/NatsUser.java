package dev.orgmesh.render;

import java.util.Objects;

/**
 * One user in a company's account on the hub. Agents appear twice: as an NKey user for direct connections and as a
 * password user that only leaf connections may use (see {@code docs/adr/0001-hub-auth.md}); both carry the same
 * {@link UserPermissions}.
 *
 * @param account the NATS account (the company's, or {@code SYS})
 * @param kind what kind of principal this is
 * @param id the member or service id
 * @param nkey the NKey public key for {@link Auth#NKEY} users, else {@code null}
 * @param leafUser the user name of a {@link Auth#LEAF_PASSWORD} user, else {@code null}
 * @param leafPasswordBcrypt the bcrypt hash of its password, else {@code null}
 * @param auth how the user authenticates
 * @param permissions what it may do
 */
public record NatsUser(String account, Kind kind, String id, String nkey, String leafUser, String leafPasswordBcrypt,
        Auth auth, UserPermissions permissions) {

    /** What kind of principal a user is. */
    public enum Kind {
        AGENT, HUMAN, SERVICE, SYSTEM
    }

    /** How a user proves who it is. */
    public enum Auth {
        /** Signs the server's nonce with its NKey seed; direct client connections only. */
        NKEY,
        /** User name and password in the leaf remote URL; leafnode connections only. */
        LEAF_PASSWORD
    }

    public NatsUser {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(permissions, "permissions");
    }
}
