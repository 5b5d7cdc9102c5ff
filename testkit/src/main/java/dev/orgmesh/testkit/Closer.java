package dev.orgmesh.testkit;

import java.util.ArrayList;
import java.util.List;

/** Closes every server even if some fail, rethrowing the first failure with the others suppressed. */
final class Closer {

    private Closer() {
    }

    static void closeAll(List<NatsServer> servers, NatsServer... more) {
        List<NatsServer> all = new ArrayList<>(servers);
        all.addAll(List.of(more));
        RuntimeException failure = null;
        for (NatsServer server : all) {
            try {
                server.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
