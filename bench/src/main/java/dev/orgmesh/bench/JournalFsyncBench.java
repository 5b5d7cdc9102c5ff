package dev.orgmesh.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import io.nats.client.impl.Headers;

import dev.orgmesh.messaging.flow.OutboundMessage;
import dev.orgmesh.messaging.flow.OutboxJournal;

/**
 * What the outbox's journal costs on this machine's disk (ADR 0003, "Update (issue 23)"): a message of an envelope's
 * usual size appended and forced alone ({@code append} + {@code sync}, one {@code fsync} per message), appended
 * without a force (the write alone), and appended by several threads at once, where one force covers everything
 * appended meanwhile (group commit). Prints the figures; run with the messaging module's classpath:
 * {@code java -cp ... dev.orgmesh.bench.JournalFsyncBench [messages] [threads] [dir]}.
 */
public final class JournalFsyncBench {
    private JournalFsyncBench() {
    }

    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path base = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("orgmesh-journal-bench-");
        byte[] body = ("{\"id\":\"x\",\"from\":\"dev1\",\"to\":\"ceo\",\"type\":\"report\",\"summary\":\""
                + "a".repeat(400) + "\"}").getBytes(StandardCharsets.UTF_8);
        Headers h = new Headers().add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        BenchOutput.print(
                String.format(Locale.ROOT, "journal in %s, %d messages of %d bytes%n", base, messages, body.length));

        for (int round = 0; round < 2; round++) { // the first round warms up the JIT and the file system
            long[] each = new long[messages];
            try (OutboxJournal j = OutboxJournal.open(base.resolve("single-" + round))) {
                for (int i = 0; i < messages; i++) {
                    long t = System.nanoTime();
                    long seq = j.append(new OutboundMessage("co.dm.ceo", h, body, "m-" + i));
                    j.sync(seq);
                    each[i] = System.nanoTime() - t;
                    j.acknowledge(seq);
                }
            }
            long t = System.nanoTime();
            try (OutboxJournal j = OutboxJournal.open(base.resolve("nosync-" + round))) {
                for (int i = 0; i < messages; i++) {
                    j.acknowledge(j.append(new OutboundMessage("co.dm.ceo", h, body, "m-" + i)));
                }
            }
            long nosync = System.nanoTime() - t;
            double grouped = grouped(base.resolve("group-" + round), messages, threads, h, body);
            Arrays.sort(each);
            if (round == 1) {
                BenchOutput.print(String.format(Locale.ROOT,
                        "append + fsync, one at a time: median %.0f µs, p99 %.0f µs,"
                                + " %.0f msg/s%n",
                        each[messages / 2] / 1e3, each[messages * 99 / 100] / 1e3,
                        messages / (Arrays.stream(each).sum() / 1e9)));
                BenchOutput.print(String.format(Locale.ROOT, "append without fsync: %.1f µs per message%n",
                        nosync / 1e3 / messages));
                BenchOutput
                        .print(String.format(Locale.ROOT, "append + fsync from %d threads (group commit): %.0f msg/s,"
                                + " %.0f µs per message%n", threads, grouped, 1e6 / grouped));
            }
        }
    }

    /** Messages per second when {@code threads} threads append and sync at once. */
    static double grouped(Path dir, int messages, int threads, Headers h, byte[] body) throws Exception {
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> all = new ArrayList<>();
            int per = messages / threads;
            for (int t = 0; t < threads; t++) {
                int thread = t;
                all.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < per; i++) {
                        long seq = j.append(new OutboundMessage("co.dm.ceo", h, body, "g-" + thread + "-" + i));
                        j.sync(seq);
                        j.acknowledge(seq);
                    }
                }));
            }
            long t = System.nanoTime();
            go.countDown();
            for (Thread th : all) {
                th.join();
            }
            return per * threads / ((System.nanoTime() - t) / 1e9);
        }
    }
}
