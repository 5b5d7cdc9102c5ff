package dev.orgmesh.messaging.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;

/**
 * Reads a stream's stored messages by sequence with the management API (message get), which an operator's
 * credentials allow and which needs no consumer. Fine for the sizes an operator inspects (dead letters, one
 * thread's audit); {@code limit} bounds it.
 */
public final class StreamReader {
    private static final int NO_MESSAGE = 10037;

    private StreamReader() {
    }

    /** Every message still stored in {@code stream}, oldest first, at most {@code limit} (newest kept). */
    public static List<MessageInfo> all(JetStreamManagement jsm, String stream, int limit)
            throws IOException, JetStreamApiException {
        var state = jsm.getStreamInfo(stream).getStreamState();
        long first = Math.max(state.getFirstSequence(), state.getLastSequence() - limit + 1);
        List<MessageInfo> out = new ArrayList<>();
        for (long seq = first; seq <= state.getLastSequence() && seq > 0; seq++) {
            try {
                out.add(jsm.getMessage(stream, seq));
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != NO_MESSAGE) {
                    throw e;
                }
            }
        }
        return out;
    }
}
