package dev.orgmesh.assets;

/**
 * One line of a plan: what would change on the server and why.
 *
 * @param action create, update, remove (only with prune) or keep-extra (present but no longer in the org)
 * @param kind stream, consumer or bucket
 * @param name the asset ({@code STREAM} or {@code STREAM/consumer})
 * @param detail what differs, for updates; why, otherwise
 */
public record AssetChange(Action action, Kind kind, String name, String detail) {
    /** What happens to the asset. */
    public enum Action {
        CREATE("+"), UPDATE("~"), REMOVE("-"), KEEP_EXTRA("!");

        private final String sign;

        Action(String sign) {
            this.sign = sign;
        }

        public String sign() {
            return sign;
        }
    }

    /** The kind of asset. */
    public enum Kind {
        STREAM, CONSUMER, BUCKET
    }

    @Override
    public String toString() {
        return action.sign() + " " + kind.name().toLowerCase() + " " + name
                + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
    }
}
