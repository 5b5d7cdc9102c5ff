package dev.orgmesh.messaging.flow;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;

/**
 * The sending side of {@link OutboxCrashTest}, run in a JVM of its own so that the test can kill it with SIGKILL: an
 * {@link Outbox} over an {@link OutboxJournal}, as an agent runtime makes them, driven by lines on stdin and
 * reporting on stdout.
 *
 * <p>Arguments: the server URL, the journal directory, the subject. At start it prints {@code replaying K} (what the
 * journal held) and {@code ready}. Commands: {@code send A B} publishes messages A..B (body and msg-id the number)
 * and prints {@code accepted B} once every one of them was accepted (on disk); {@code await} prints {@code stored}
 * once the outbox is empty; {@code quit} closes and exits.
 */
public final class JournaledSender {
    private JournaledSender() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path dir = Path.of(args[1]);
        String subject = args[2];
        Options options = Options.builder().server(url).maxReconnects(-1).reconnectWait(Duration.ofMillis(100))
                .connectionTimeout(Duration.ofSeconds(2)).build();
        try (Connection c = Nats.connect(options)) {
            OutboxJournal journal = OutboxJournal.open(dir);
            System.out.println("replaying " + journal.recovered().size());
            try (Outbox outbox = new Outbox(c.jetStream(), 10_000, new Backoff(Duration.ofMillis(50),
                    Duration.ofMillis(500)), Duration.ofMillis(500), journal)) {
                System.out.println("ready");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null;) {
                    String[] w = line.trim().split(" ");
                    switch (w[0]) {
                        case "send" -> {
                            int from = Integer.parseInt(w[1]);
                            int to = Integer.parseInt(w[2]);
                            for (int i = from; i <= to; i++) {
                                CompletableFuture<PublishAck> f = outbox.publish(new OutboundMessage(subject, null,
                                        Integer.toString(i).getBytes(StandardCharsets.UTF_8), "seq-" + i));
                                if (f.isCompletedExceptionally()) {
                                    System.out.println("refused " + i);
                                }
                            }
                            System.out.println("accepted " + to);
                        }
                        case "await" -> {
                            await().atMost(Duration.ofSeconds(60)).until(() -> outbox.pending() == 0);
                            System.out.println("stored " + outbox.publishedCount());
                        }
                        case "quit" -> {
                            return;
                        }
                        default -> System.out.println("unknown " + line);
                    }
                }
            }
        }
    }
}
