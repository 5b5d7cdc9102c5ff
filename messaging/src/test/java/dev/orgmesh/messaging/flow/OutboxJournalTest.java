package dev.orgmesh.messaging.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The outbox's journal on its own: what is appended and not acknowledged comes back at the next open, in order and
 * whole; a record cut short or damaged by a crash is skipped, never fatal; acknowledged segments are deleted; a full
 * journal refuses.
 */
class OutboxJournalTest {
    @TempDir
    Path dir;

    static OutboundMessage message(int n) {
        Headers h = new Headers().add("traceparent", "00-trace-" + n).add("X-Multi", "a", "b");
        return new OutboundMessage("co.dm.ceo", h, ("body " + n).getBytes(StandardCharsets.UTF_8), "id-" + n);
    }

    static List<String> ids(OutboxJournal j) {
        return j.recovered().stream().map(e -> e.message().msgId()).toList();
    }

    @Test
    void whatIsNotAcknowledgedComesBackInOrderAndWhole() {
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(j.recovered()).isEmpty();
            for (int i = 1; i <= 5; i++) {
                j.sync(j.append(message(i)));
            }
            j.acknowledge(2);
            j.acknowledge(4);
            assertThat(j.liveCount()).isEqualTo(3);
        }
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).containsExactly("id-1", "id-3", "id-5");
            OutboundMessage m = j.recovered().get(1).message();
            assertThat(m.subject()).isEqualTo("co.dm.ceo");
            assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("body 3");
            assertThat(m.headers().getFirst("traceparent")).isEqualTo("00-trace-3");
            assertThat(m.headers().get("X-Multi")).containsExactly("a", "b");
            // numbering goes on after what was found, and an acknowledgement of a recovered message holds
            long next = j.append(message(6));
            assertThat(next).isEqualTo(6);
            j.sync(next);
            j.acknowledge(1);
        }
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).containsExactly("id-3", "id-5", "id-6");
        }
    }

    @Test
    void aRecordCutShortByACrashIsSkippedAndTheRestKept() throws IOException {
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            for (int i = 1; i <= 3; i++) {
                j.sync(j.append(message(i)));
            }
        }
        Path segment = single(dir);
        long whole = Files.size(segment);
        // a crash in the middle of writing record 4: its first 11 bytes made it to the file
        byte[] fourth = OutboxJournal.record((byte) 1, 4, message(4));
        Files.write(segment, Arrays.copyOf(fourth, 11), StandardOpenOption.APPEND);

        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).containsExactly("id-1", "id-2", "id-3");
            assertThat(Files.size(segment)).as("cut back to its last whole record").isEqualTo(whole);
            j.acknowledge(2); // written after the cut, so it is read back
        }
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).containsExactly("id-1", "id-3");
        }
    }

    @Test
    void aRecordWhoseChecksumFailsEndsItsSegmentWithoutFailingTheStart() throws IOException {
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            for (int i = 1; i <= 3; i++) {
                j.sync(j.append(message(i)));
            }
        }
        Path segment = single(dir);
        byte[] bytes = Files.readAllBytes(segment);
        int third = bytes.length - OutboxJournal.record((byte) 1, 3, message(3)).length;
        bytes[third + 20] ^= 0x5a; // a flipped byte inside record 3's payload
        Files.write(segment, bytes);

        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).containsExactly("id-1", "id-2");
        }
        // and a length that points past the end of the file
        Files.write(segment, new byte[]{0x7f, 0, 0, 0, 1, 2, 3, 4, 1}, StandardOpenOption.APPEND);
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).containsExactly("id-1", "id-2");
        }
    }

    @Test
    void segmentsWhoseMessagesAreAllAcknowledgedAreDeleted() throws IOException {
        try (OutboxJournal j = OutboxJournal.open(dir, 300, OutboxJournal.DEFAULT_MAX_BYTES)) {
            for (int i = 1; i <= 40; i++) {
                j.sync(j.append(message(i)));
            }
            assertThat(segments(dir)).as("several segments").hasSizeGreaterThan(5);
            for (int i = 1; i <= 39; i++) {
                j.acknowledge(i);
            }
            assertThat(segments(dir)).as("only the one still holding message 40").hasSize(1);
            assertThat(j.liveBytes()).isPositive();
        }
        try (OutboxJournal j = OutboxJournal.open(dir, 300, OutboxJournal.DEFAULT_MAX_BYTES)) {
            assertThat(ids(j)).containsExactly("id-40");
            j.acknowledge(40);
            assertThat(segments(dir)).as("nothing left to keep").isEmpty();
        }
    }

    @Test
    void aFullJournalRefusesANewMessage() {
        try (OutboxJournal j = OutboxJournal.open(dir, OutboxJournal.DEFAULT_SEGMENT_BYTES, 400)) {
            j.append(message(1));
            j.append(message(2));
            assertThatThrownBy(() -> {
                for (int i = 3; i < 10; i++) {
                    j.append(message(i));
                }
            }).isInstanceOfSatisfying(OrgmeshException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.OUTBOX_JOURNAL))
                    .hasMessageContaining("journal full");
            j.acknowledge(1);
            assertThat(j.append(message(20))).as("room again once one is stored").isPositive();
        }
    }

    @Test
    void oneJournalServesOneOutboxAtATime() {
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThatThrownBy(() -> OutboxJournal.open(dir)).isInstanceOfSatisfying(OrgmeshException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.OUTBOX_JOURNAL)).hasMessageContaining("in use");
            assertThatThrownBy(() -> OutboxJournal.open(dir)).as("the refused attempt did not release the lock")
                    .hasMessageContaining("in use");
            j.sync(j.append(message(1)));
        }
        try (OutboxJournal j = OutboxJournal.open(dir)) {
            assertThat(ids(j)).as("free again once closed").containsExactly("id-1");
        }
    }

    static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(OutboxJournal.SUFFIX)).sorted().toList();
        }
    }

    static Path single(Path dir) throws IOException {
        List<Path> all = segments(dir);
        assertThat(all).hasSize(1);
        return all.getFirst();
    }
}
