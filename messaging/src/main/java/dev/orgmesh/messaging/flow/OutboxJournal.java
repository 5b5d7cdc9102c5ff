package dev.orgmesh.messaging.flow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.jboss.logging.Logger;

import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The {@link Outbox}'s journal on disk (ADR 0003, "Update (issue 23)"): every message is appended and forced to disk
 * ({@link FileChannel#force}) before its caller learns it was accepted, and marked acknowledged once its stream stored
 * it, so a message an agent initiated survives the death of its process and is sent again on the next start (its
 * {@code Nats-Msg-Id} makes that a duplicate the stream drops if it was in fact stored).
 *
 * <p>Layout: a directory of segment files {@code {first seq}.journal}, appended in order. A record is
 * {@code [length:int][crc32c:int][type:byte][payload]}, the length and checksum covering type and payload: a message
 * (its journal sequence, subject, msg-id, headers, body) or an acknowledgement of one (its sequence), written into the
 * message's own segment. A new segment starts when the current one passes {@code segmentBytes}; a segment whose
 * messages are all acknowledged is deleted, so the journal holds what is not yet stored plus at most one segment.
 *
 * <p>On {@link #open}, every segment is read in order; a record whose length or checksum does not hold (a crash in the
 * middle of a write, or damage) ends that segment: it is cut there with a warning, never an error, and what precedes it
 * is kept. {@link #recovered()} is what was not acknowledged, in order.
 *
 * <p>Group commit: {@link #append} only writes; {@link #sync} forces, and one force covers every record appended before
 * it, so callers appending at the same time share one. Thread-safe.
 */
public final class OutboxJournal implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutboxJournal.class);

    /** A segment past this size is closed for appends and a new one started: 4 MiB. */
    public static final long DEFAULT_SEGMENT_BYTES = 4L << 20;
    /** What the journal may hold that is not yet acknowledged: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;
    /** The longest record read back: a NATS message is at most 64 MiB. */
    static final int MAX_RECORD = 80 << 20;
    static final String SUFFIX = ".journal";
    private static final byte MESSAGE = 1;
    private static final byte ACK = 2;
    private static final int HEADER = 8;

    /** A message found in the journal at open, not yet acknowledged. */
    public record Entry(long seq, OutboundMessage message) {
    }

    private final Path dir;
    private final long segmentBytes;
    private final long maxBytes;
    private final List<Entry> recovered;
    /** Segments by first sequence (guarded by {@code this}). */
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    /** Unacknowledged messages: where they are and their size (guarded by {@code this}). */
    private final Map<Long, Live> live = new HashMap<>();
    private final ReentrantLock forcing = new ReentrantLock();
    private Segment active;
    private long nextSeq;
    private long liveBytes;
    /** The highest sequence appended (guarded by {@code this}). */
    private long appended;
    /** The highest sequence known to be on disk (guarded by {@link #forcing}). */
    private volatile long synced;
    private boolean closed;
    /** Held while open: two outboxes appending to one journal would each replay the other's messages. */
    private FileChannel lockFile;
    private FileLock lock;

    private OutboxJournal(Path dir, long segmentBytes, long maxBytes) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.maxBytes = maxBytes;
        this.recovered = new ArrayList<>();
    }

    /** Opens (creating it, owner-only) the journal in {@code dir} with the default sizes. */
    public static OutboxJournal open(Path dir) {
        return open(dir, DEFAULT_SEGMENT_BYTES, DEFAULT_MAX_BYTES);
    }

    /**
     * Opens the journal in {@code dir} and reads what it holds.
     *
     * @param segmentBytes size after which a new segment file is started
     * @param maxBytes most bytes of unacknowledged messages; beyond that {@link #append} refuses
     * @throws OrgmeshException {@code OUTBOX_JOURNAL} when the directory cannot be made or read
     */
    public static OutboxJournal open(Path dir, long segmentBytes, long maxBytes) {
        if (segmentBytes < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("journal sizes must be >= 1, got " + segmentBytes + ", " + maxBytes);
        }
        OutboxJournal j = new OutboxJournal(dir, segmentBytes, maxBytes);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                try {
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: its default permissions stand
                }
            }
            j.lock();
            j.recover();
        } catch (IOException | OrgmeshException e) {
            j.close();
            throw e instanceof OrgmeshException o
                    ? o
                    : new OrgmeshException(ErrorCode.OUTBOX_JOURNAL, "outbox journal in " + dir + " unusable: "
                            + e.getMessage(), e);
        }
        return j;
    }

    private void lock() throws IOException {
        lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = lockFile.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this JVM holds it already
        }
        if (lock == null) {
            throw new OrgmeshException(ErrorCode.OUTBOX_JOURNAL, "outbox journal in " + dir
                    + " is in use by another outbox (one agent process per journal directory)");
        }
    }

    private void recover() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
        Map<Long, Entry> found = new LinkedHashMap<>();
        long maxSeq = 0;
        for (Path file : files) {
            long first;
            try {
                first = Long.parseLong(file.getFileName().toString().replace(SUFFIX, ""));
            } catch (NumberFormatException e) {
                LOG.warnf("%s ignoring %s in the outbox journal: not a segment", ErrorCode.OUTBOX_JOURNAL.label(),
                        file);
                continue;
            }
            Segment seg = new Segment(file, first, FileChannel.open(file, StandardOpenOption.READ,
                    StandardOpenOption.WRITE));
            segments.put(first, seg);
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
            long valid = 0;
            while (all.remaining() > 0) {
                int start = all.position();
                if (all.remaining() < HEADER) {
                    torn(file, start, all.limit(), "a record header cut short");
                    break;
                }
                int length = all.getInt();
                int crc = all.getInt();
                if (length < 1 || length > MAX_RECORD || length > all.remaining()) {
                    torn(file, start, all.limit(), "a record length of " + length + " with " + all.remaining()
                            + " bytes left");
                    break;
                }
                byte[] body = new byte[length];
                all.get(body);
                if (crc32c(body) != crc) {
                    torn(file, start, all.limit(), "a checksum that does not match");
                    break;
                }
                ByteBuffer b = ByteBuffer.wrap(body);
                byte type = b.get();
                long seq = b.getLong();
                maxSeq = Math.max(maxSeq, seq);
                if (type == MESSAGE) {
                    found.put(seq, new Entry(seq, readMessage(b)));
                    live.put(seq, new Live(seg, HEADER + length));
                    seg.live++;
                } else if (type == ACK) {
                    found.remove(seq);
                    Live l = live.remove(seq);
                    if (l != null) {
                        l.segment.live--;
                    }
                } // another type, from a later version: skipped, its checksum held
                valid = all.position();
            }
            if (valid < seg.channel.size()) {
                seg.channel.truncate(valid);
                seg.channel.force(true);
            }
            seg.size = valid;
        }
        live.values().forEach(l -> liveBytes += l.bytes);
        recovered.addAll(found.values());
        nextSeq = maxSeq + 1;
        appended = maxSeq;
        synced = maxSeq;
        for (Segment s : List.copyOf(segments.values())) {
            s.sealed = true; // appends go to a new segment; these only take acknowledgements of what they hold
            if (s.live == 0) {
                delete(s);
            }
        }
        if (!recovered.isEmpty()) {
            LOG.infof("outbox journal in %s: %d message(s) not yet stored, sent again", dir, recovered.size());
        }
    }

    private void torn(Path file, int at, int end, String what) {
        LOG.warnf("%s outbox journal %s: %s at byte %d; the %d byte(s) from there are skipped (a crash in the middle"
                + " of a write leaves this)", ErrorCode.OUTBOX_JOURNAL.label(), file, what, at, end - at);
    }

    /** The messages found at open that no acknowledgement covers, in the order they were appended. */
    public List<Entry> recovered() {
        return List.copyOf(recovered);
    }

    /**
     * Appends {@code m} (written, not yet forced: see {@link #sync}) and returns its journal sequence.
     *
     * @throws OrgmeshException {@code OUTBOX_JOURNAL} when the journal is full or cannot be written
     */
    public synchronized long append(OutboundMessage m) {
        if (closed) {
            throw new OrgmeshException(ErrorCode.OUTBOX_JOURNAL, "outbox journal in " + dir + " is closed");
        }
        long seq = nextSeq;
        byte[] record = record(MESSAGE, seq, m);
        if (liveBytes + record.length > maxBytes) {
            throw new OrgmeshException(ErrorCode.OUTBOX_JOURNAL, "outbox journal full (" + liveBytes + " of "
                    + maxBytes + " bytes not yet stored); publish to " + m.subject() + " refused");
        }
        try {
            if (active == null || active.size >= segmentBytes) {
                roll(seq);
            }
            write(active, record);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.OUTBOX_JOURNAL, "outbox journal in " + dir + " not written: "
                    + e.getMessage(), e);
        }
        nextSeq++;
        appended = seq;
        active.live++;
        live.put(seq, new Live(active, record.length));
        liveBytes += record.length;
        return seq;
    }

    /**
     * Returns once every record up to {@code seq} is on disk: forces the journal unless a force that began after
     * {@code seq} was appended already did (group commit).
     *
     * @throws OrgmeshException {@code OUTBOX_JOURNAL} when the force fails
     */
    public void sync(long seq) {
        if (synced >= seq) {
            return;
        }
        forcing.lock();
        try {
            if (synced >= seq) {
                return; // someone else's force covered it while this thread waited
            }
            FileChannel channel;
            long through;
            synchronized (this) {
                channel = active.channel;
                through = appended;
            }
            try {
                channel.force(false);
            } catch (ClosedChannelException e) {
                if (isClosed()) {
                    throw e;
                }
                // a newer segment took over and this one was forced before it was sealed (and then deleted, all
                // of it acknowledged): what this thread waits for is on disk
            }
            synced = through;
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.OUTBOX_JOURNAL, "outbox journal in " + dir + " not forced to disk: "
                    + e.getMessage(), e);
        } finally {
            forcing.unlock();
        }
    }

    /**
     * Marks message {@code seq} stored: its acknowledgement is written into its segment (not forced: losing it in
     * a power cut means one more duplicate the stream drops), and a sealed segment with nothing left is deleted.
     */
    public synchronized void acknowledge(long seq) {
        Live l = live.remove(seq);
        if (l == null || closed) {
            return;
        }
        liveBytes -= l.bytes;
        Segment s = l.segment;
        s.live--;
        try {
            if (s.live == 0 && s.sealed) {
                delete(s);
            } else {
                write(s, record(ACK, seq, null));
            }
        } catch (IOException e) {
            // the message is sent again after a restart and dropped by the stream as a duplicate
            LOG.warnf("%s outbox journal in %s: acknowledgement of %d not written: %s",
                    ErrorCode.OUTBOX_JOURNAL.label(), dir, seq, e.getMessage());
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Messages appended and not yet acknowledged. */
    public synchronized int liveCount() {
        return live.size();
    }

    /** Bytes of messages appended and not yet acknowledged. */
    public synchronized long liveBytes() {
        return liveBytes;
    }

    /** The journal's directory. */
    public Path dir() {
        return dir;
    }

    /** Starts a new segment at {@code seq}, after forcing the one it replaces (sync forces only the active one). */
    private void roll(long seq) throws IOException {
        Segment old = active;
        if (old != null) {
            old.channel.force(false);
            old.sealed = true;
            if (old.live == 0) {
                delete(old);
            }
        }
        Path file = dir.resolve(String.format("%020d%s", seq, SUFFIX));
        Segment s = new Segment(file, seq, FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
        segments.put(seq, s);
        active = s;
    }

    private void delete(Segment s) {
        segments.remove(s.first);
        try {
            s.channel.close();
            Files.deleteIfExists(s.file);
        } catch (IOException e) {
            LOG.warnf("%s outbox journal segment %s not deleted: %s", ErrorCode.OUTBOX_JOURNAL.label(), s.file,
                    e.getMessage());
        }
        if (s == active) {
            active = null;
        }
    }

    private static void write(Segment s, byte[] record) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(record);
        long at = s.size;
        while (b.hasRemaining()) {
            at += s.channel.write(b, at);
        }
        s.size = at;
    }

    /** A whole record: length, checksum, type, sequence and (for a message) the message. */
    static byte[] record(byte type, long seq, OutboundMessage m) {
        Buf body = new Buf();
        body.put(type);
        body.putLong(seq);
        if (m != null) {
            body.putString(m.subject());
            body.putString(m.msgId());
            Headers h = m.headers();
            if (h == null || h.isEmpty()) {
                body.putInt(0);
            } else {
                body.putInt(h.size());
                for (String key : h.keySet()) {
                    List<String> values = h.get(key);
                    body.putString(key);
                    body.putInt(values.size());
                    values.forEach(body::putString);
                }
            }
            body.putInt(m.body().length);
            body.put(m.body());
        }
        byte[] payload = body.bytes();
        ByteBuffer out = ByteBuffer.allocate(HEADER + payload.length);
        out.putInt(payload.length).putInt(crc32c(payload)).put(payload);
        return out.array();
    }

    private static OutboundMessage readMessage(ByteBuffer b) {
        String subject = getString(b);
        String msgId = getString(b);
        int keys = b.getInt();
        Headers h = null;
        if (keys > 0) {
            h = new Headers();
            for (int i = 0; i < keys; i++) {
                String key = getString(b);
                int n = b.getInt();
                for (int v = 0; v < n; v++) {
                    h.add(key, getString(b));
                }
            }
        }
        byte[] body = new byte[b.getInt()];
        b.get(body);
        return new OutboundMessage(subject, h, body, msgId);
    }

    private static String getString(ByteBuffer b) {
        byte[] s = new byte[b.getInt()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    static int crc32c(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return (int) c.getValue();
    }

    /**
     * Closes the files; what is not acknowledged stays on disk for the next {@link #open}. Does not force: a message
     * was forced before its caller was told it was accepted.
     */
    @Override
    public synchronized void close() {
        closed = true;
        try {
            for (Segment s : segments.values()) {
                s.channel.close();
            }
            if (lockFile != null) {
                lockFile.close(); // releases the lock
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One segment file. */
    private static final class Segment {
        final Path file;
        final long first;
        final FileChannel channel;
        long size;
        int live;
        boolean sealed;

        Segment(Path file, long first, FileChannel channel) {
            this.file = file;
            this.first = first;
            this.channel = channel;
        }
    }

    /** Where an unacknowledged message is and how many bytes it holds there. */
    private record Live(Segment segment, long bytes) {
    }

    /** A growable byte buffer for one record. */
    private static final class Buf {
        private byte[] a = new byte[256];
        private int n;

        private void ensure(int more) {
            if (n + more > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + more));
            }
        }

        void put(byte b) {
            ensure(1);
            a[n++] = b;
        }

        void put(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, a, n, b.length);
            n += b.length;
        }

        void putInt(int v) {
            ensure(4);
            ByteBuffer.wrap(a, n, 4).putInt(v);
            n += 4;
        }

        void putLong(long v) {
            ensure(8);
            ByteBuffer.wrap(a, n, 8).putLong(v);
            n += 8;
        }

        void putString(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            putInt(b.length);
            put(b);
        }

        byte[] bytes() {
            return Arrays.copyOf(a, n);
        }
    }
}
