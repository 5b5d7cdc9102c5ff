package dev.orgmesh.vault.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces every known secret value in outgoing text or bytes with {@code [REDACTED:NAME]}, as the last guard before
 * a runtime publishes a message, writes a log line or a workspace file. Longer values are replaced first, so a value
 * that contains another is redacted whole. Values shorter than {@value #MIN_LENGTH} bytes are not scrubbed (they would
 * match everywhere and are not secrets worth the name).
 *
 * <p>A rotation does not retire the old value from the scrubber: a brain started before the rotation still holds it
 * in its environment, and the old credential often stays valid for a while. The last {@value #RETAINED_PER_NAME}
 * values of each name are guarded. It holds them in memory; {@link #forget} and {@link #clear} drop and wipe them.
 * Thread-safe.
 */
public final class SecretScrubber {
    /** The shortest value that is scrubbed, in bytes. */
    public static final int MIN_LENGTH = 4;
    /** How many values of one name (the current one and those rotated out before it) stay guarded. */
    public static final int RETAINED_PER_NAME = 8;

    private record Known(String name, byte[] bytes, String text) {
    }

    private final Map<String, List<Known>> known = new LinkedHashMap<>();
    private volatile List<Known> ordered = List.of();

    /** Guards {@code value} under {@code name}; values that name held before stay guarded (the last few). */
    public synchronized void add(String name, byte[] value) {
        byte[] copy = value.clone();
        Known next = new Known(name, copy, new String(copy, StandardCharsets.UTF_8));
        List<Known> values = known.computeIfAbsent(name, n -> new ArrayList<>());
        values.removeIf(k -> {
            boolean same = Arrays.equals(k.bytes(), copy);
            if (same) {
                Arrays.fill(k.bytes(), (byte) 0);
            }
            return same;
        });
        values.add(next);
        while (values.size() > RETAINED_PER_NAME) {
            Arrays.fill(values.remove(0).bytes(), (byte) 0);
        }
        reorder();
    }

    /** Guards every value of {@code secrets}. */
    public void addAll(Map<String, byte[]> secrets) {
        secrets.forEach(this::add);
    }

    /** Stops guarding {@code name} (every value it held). */
    public synchronized void forget(String name) {
        List<Known> old = known.remove(name);
        if (old != null) {
            old.forEach(k -> Arrays.fill(k.bytes(), (byte) 0));
        }
        reorder();
    }

    /** Stops guarding everything. */
    public synchronized void clear() {
        List.copyOf(known.keySet()).forEach(this::forget);
    }

    private void reorder() {
        List<Known> list = new ArrayList<>();
        known.values().forEach(list::addAll);
        list.removeIf(k -> k.bytes().length < MIN_LENGTH);
        list.sort(Comparator.comparingInt((Known k) -> k.bytes().length).reversed());
        ordered = List.copyOf(list);
    }

    /** The marker a value of {@code name} is replaced with. */
    public static String marker(String name) {
        return "[REDACTED:" + name + "]";
    }

    /** {@code text} with every known value replaced. */
    public String scrub(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (Known k : ordered) {
            if (out.contains(k.text())) {
                out = out.replace(k.text(), marker(k.name()));
            }
        }
        return out;
    }

    /** {@code bytes} with every known value replaced (a new array; the input is left as it is). */
    public byte[] scrub(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return bytes;
        }
        byte[] out = bytes;
        for (Known k : ordered) {
            out = replace(out, k.bytes(), marker(k.name()).getBytes(StandardCharsets.UTF_8));
        }
        return out == bytes ? bytes.clone() : out;
    }

    /** Whether {@code text} contains a known value. */
    public boolean leaks(String text) {
        return text != null && ordered.stream().anyMatch(k -> text.contains(k.text()));
    }

    private static byte[] replace(byte[] in, byte[] needle, byte[] with) {
        int at = indexOf(in, needle, 0);
        if (at < 0) {
            return in;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        int from = 0;
        while (at >= 0) {
            out.write(in, from, at - from);
            out.write(with, 0, with.length);
            from = at + needle.length;
            at = indexOf(in, needle, from);
        }
        out.write(in, from, in.length - from);
        return out.toByteArray();
    }

    private static int indexOf(byte[] in, byte[] needle, int from) {
        outer : for (int i = from; i <= in.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (in[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
