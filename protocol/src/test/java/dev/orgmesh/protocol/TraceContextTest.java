package dev.orgmesh.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class TraceContextTest {

    /** The ids are the first bytes of SHA-256 of the thread's and the message's ids, so every runtime agrees. */
    static String expected(String thread, String message) throws Exception {
        return "00-" + id(thread, 16) + "-" + id(message, 8) + "-01";
    }

    private static String id(String of, int bytes) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(of.getBytes(StandardCharsets.UTF_8));
        if (d[0] == 0 && d[1] == 0) {
            d[0] = 1; // never the all-zero id
        }
        return HexFormat.of().formatHex(d, 0, bytes);
    }

    @Test
    void derivesTheSameIdsOnEveryThreadAndContinuesAValidIncomingTrace() throws Exception {
        assertThat(TraceContext.traceparent(null, "th-1", "m-1")).isEqualTo(expected("th-1", "m-1"));
        assertThat(TraceContext.traceparent(null, null, "m-1")).isEqualTo(expected("m-1", "m-1"));
        String incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assertThat(TraceContext.traceparent(incoming, "th-1", "m-2"))
                .startsWith("00-0af7651916cd43dd8448eb211c80319c-").isEqualTo(
                        "00-0af7651916cd43dd8448eb211c80319c-" + expected("x", "m-2").substring(36));
        assertThat(TraceContext.traceparent("00-" + "0".repeat(32) + "-b7ad6b7169203331-01", "th-1", "m-1"))
                .isEqualTo(expected("th-1", "m-1"));

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> all = IntStream.range(0, 8).mapToObj(t -> pool.submit(() -> {
                for (int i = 0; i < 2_000; i++) {
                    String id = "m-" + t + "-" + i;
                    if (!TraceContext.traceparent(null, "th-" + i, id).equals(expected("th-" + i, id))) {
                        return false;
                    }
                }
                return true;
            })).toList();
            for (Future<Boolean> f : all) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
