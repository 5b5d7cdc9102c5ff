package dev.orgmesh.faults;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Counts, by message id, what happened to every message of a fault run, in the spirit of Jepsen's queue checker:
 * what was sent, what its sender was told is stored (acknowledged), what reached a brain, what reached a brain more
 * than once, and what was acknowledged but never reached one (lost). Plain and thread-safe: producers, brains and
 * runtime listeners record events from any thread, {@link #rows()} summarizes them per fault and kind.
 *
 * <p>
 * A brain is an <em>incarnation</em>: one runtime of one agent, from its start until it is killed or closed. A second
 * handing of an id is counted as a duplicate to the brain; when an earlier handing was by an incarnation that was then
 * killed without completing that id (its ack never reached the server), the duplicate is also counted as <em>after a
 * crash</em>: at-least-once redelivery of work the dead runtime had in its hands, which no per-process guard can
 * absorb. Every other duplicate is one the runtime should have absorbed.
 *
 * <p>
 * Kinds whose sender gets an answer rather than a stored acknowledgement (request/reply, such as secret requests) are
 * recorded with {@link #request}: for them acknowledged means answered, and lost means never answered.
 */
public final class FaultChecker {

    /** One row of the report. */
    public record Row(String fault, String kind, long sent, long acknowledged, long delivered, long duplicatedToBrain,
            long duplicatedAfterCrash, long duplicatedToPeer, long lost, long unacknowledgedDelivered,
            long passedOver) {
        /** Duplicates the runtime should have absorbed: the same agent had it before and did not crash meanwhile. */
        public long duplicatedUnexplained() {
            return duplicatedToBrain - duplicatedAfterCrash - duplicatedToPeer;
        }
    }

    /** One id handed to brains more than once: by whom, in order, and whether each of them completed it. */
    public record Duplicate(String fault, String kind, String id, List<String> handedTo, List<String> completedBy) {
    }

    private static final class Msg {
        final String fault;
        final String kind;
        final boolean request;
        volatile boolean acked;
        volatile boolean passedOver;

        Msg(String fault, String kind, boolean request) {
            this.fault = fault;
            this.kind = kind;
            this.request = request;
        }
    }

    private final Map<String, Msg> messages = new ConcurrentHashMap<>();
    private final Map<String, List<String>> handings = new ConcurrentHashMap<>();
    private final Set<String> completed = ConcurrentHashMap.newKeySet();
    private final Set<String> killed = ConcurrentHashMap.newKeySet();
    private final Map<String, Boolean> faultOrder = new LinkedHashMap<>();
    private final Map<String, Boolean> kindOrder = new LinkedHashMap<>();
    private final Map<String, Long> owed = new ConcurrentHashMap<>();

    /** {@code id} of {@code kind} was sent during {@code fault} (its sender does not know yet whether it is stored). */
    public void sent(String fault, String kind, String id) {
        record(fault, kind, id, false);
    }

    /** Request {@code id} of {@code kind} was sent during {@code fault}; {@link #acked} records its answer. */
    public void request(String fault, String kind, String id) {
        record(fault, kind, id, true);
    }

    private void record(String fault, String kind, String id, boolean request) {
        synchronized (faultOrder) {
            faultOrder.putIfAbsent(fault, Boolean.TRUE);
            kindOrder.putIfAbsent(kind, Boolean.TRUE);
        }
        if (messages.putIfAbsent(id, new Msg(fault, kind, request)) != null) {
            throw new IllegalArgumentException("id " + id + " sent twice; ids must be unique");
        }
    }

    /** The sender of {@code id} was told it is stored (a JetStream publish ack, the outbox's completion, an answer). */
    public void acked(String id) {
        Msg m = messages.get(id);
        if (m == null) {
            throw new IllegalArgumentException("ack for unknown id " + id);
        }
        m.acked = true;
    }

    /** {@code id} was handed to the brain of {@code incarnation}. May come before {@link #sent} is recorded. */
    public void handed(String id, String incarnation) {
        handings.computeIfAbsent(id, k -> new ArrayList<>());
        List<String> list = handings.get(id);
        synchronized (list) {
            list.add(incarnation);
        }
    }

    /** {@code incarnation} finished {@code id}: the server confirmed its ack. */
    public void completed(String id, String incarnation) {
        completed.add(id + "\u0000" + incarnation);
    }

    /** {@code incarnation} was killed: whatever it had not completed is back with the server. */
    public void killed(String incarnation) {
        killed.add(incarnation);
    }

    /**
     * {@code id} left its stream without reaching a brain, by design (a heartbeat tick replaced by a newer one, or
     * found idle by the runtime): not delivered, not lost.
     */
    public void passedOver(String id) {
        Msg m = messages.get(id);
        if (m != null) {
            m.passedOver = true;
        }
    }

    /** How many slots of {@code kind} were owed during {@code fault}, when that differs from what was sent. */
    public void owed(String fault, String kind, long n) {
        owed.merge(fault + "\u0000" + kind, n, Long::sum);
    }

    /** How many times {@code id} reached a brain. */
    public int handings(String id) {
        List<String> list = handings.get(id);
        if (list == null) {
            return 0;
        }
        synchronized (list) {
            return list.size();
        }
    }

    /** How many ids were sent (or requested) so far. */
    public long sentCount() {
        return messages.size();
    }

    /** How many distinct ids {@code which} selects have reached a brain so far (heartbeat ticks included). */
    public long reachedBrains(Predicate<String> which) {
        return handings.keySet().stream().filter(which).count();
    }

    /** Ids acknowledged to their sender that no brain has had yet (for a drain that waits on them). */
    public long outstanding() {
        return messages.entrySet().stream()
                .filter(e -> e.getValue().acked && !e.getValue().request && !e.getValue().passedOver)
                .filter(e -> handings(e.getKey()) == 0).count();
    }

    /** One row per fault and kind, faults in the order they were first recorded, kinds in order of first id. */
    public List<Row> rows() {
        List<String> faults;
        List<String> kindsInOrder;
        synchronized (faultOrder) {
            faults = List.copyOf(faultOrder.keySet());
            kindsInOrder = List.copyOf(kindOrder.keySet());
        }
        Map<String, List<Map.Entry<String, Msg>>> byFault = new LinkedHashMap<>();
        faults.forEach(f -> byFault.put(f, new ArrayList<>()));
        messages.entrySet().forEach(e -> byFault.get(e.getValue().fault).add(e));
        List<Row> out = new ArrayList<>();
        for (String fault : faults) {
            Map<String, long[]> kinds = new LinkedHashMap<>();
            kindsInOrder.forEach(k -> kinds.put(k, null));
            byFault.get(fault).stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                Msg m = e.getValue();
                long[] c = kinds.compute(m.kind, (k, v) -> v != null ? v : new long[9]);
                List<String> by = handings.getOrDefault(e.getKey(), List.of());
                List<String> copy;
                synchronized (by) {
                    copy = List.copyOf(by);
                }
                c[0]++;
                if (m.acked) {
                    c[1]++;
                }
                if (!copy.isEmpty()) {
                    c[2]++;
                }
                for (int i = 1; i < copy.size(); i++) {
                    c[3]++;
                    if (afterCrash(e.getKey(), copy.subList(0, i))) {
                        c[4]++;
                    } else if (toPeer(copy.subList(0, i), copy.get(i))) {
                        c[8]++;
                    }
                }
                boolean lost = m.request ? !m.acked : m.acked && copy.isEmpty() && !m.passedOver;
                if (lost) {
                    c[5]++;
                }
                if (!m.acked && !copy.isEmpty()) {
                    c[6]++;
                }
                if (m.passedOver && copy.isEmpty()) {
                    c[7]++;
                }
            });
            kinds.forEach((kind, c) -> {
                if (c == null) {
                    return;
                }
                long sent = owed.getOrDefault(fault + "\u0000" + kind, c[0]);
                out.add(new Row(fault, kind, sent, c[1], c[2], c[3], c[4], c[8], c[5], c[6], c[7]));
            });
        }
        return out;
    }

    /** The ids counted as lost, by fault, for the report. */
    public Map<String, List<String>> lostIds() {
        Map<String, List<String>> out = new java.util.TreeMap<>();
        messages.forEach((id, m) -> {
            boolean lost = m.request ? !m.acked : m.acked && handings(id) == 0 && !m.passedOver;
            if (lost) {
                out.computeIfAbsent(m.fault, k -> new ArrayList<>()).add(id);
            }
        });
        out.values().forEach(java.util.Collections::sort);
        return out;
    }

    /** Every id handed to brains more than once, for the report. */
    public List<Duplicate> duplicates() {
        List<Duplicate> out = new ArrayList<>();
        messages.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            List<String> by = handings.getOrDefault(e.getKey(), List.of());
            List<String> copy;
            synchronized (by) {
                copy = List.copyOf(by);
            }
            if (copy.size() > 1) {
                out.add(new Duplicate(e.getValue().fault, e.getValue().kind, e.getKey(), copy, copy.stream()
                        .distinct().filter(inc -> completed.contains(e.getKey() + "\u0000" + inc)).toList()));
            }
        });
        return out;
    }

    /** A later handing by another agent than every earlier one (a shared queue redelivered it to a peer). */
    private static boolean toPeer(List<String> earlier, String later) {
        return earlier.stream().noneMatch(inc -> agentOf(inc).equals(agentOf(later)));
    }

    private static String agentOf(String incarnation) {
        int hash = incarnation.indexOf('#');
        return hash < 0 ? incarnation : incarnation.substring(0, hash);
    }

    private boolean afterCrash(String id, List<String> earlier) {
        return earlier.stream().anyMatch(inc -> killed.contains(inc) && !completed.contains(id + "\u0000" + inc));
    }

    /** The rows as a Markdown table. */
    public static String markdown(List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append("| fault | kind | sent | acknowledged | delivered | duplicated to brain (after a crash / to a peer)"
                + " | lost | delivered unacknowledged | passed over |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            b.append("| ").append(r.fault()).append(" | ").append(r.kind()).append(" | ").append(r.sent())
                    .append(" | ").append(r.acknowledged()).append(" | ").append(r.delivered()).append(" | ")
                    .append(r.duplicatedToBrain()).append(" (").append(r.duplicatedAfterCrash()).append(" / ")
                    .append(r.duplicatedToPeer()).append(") | ")
                    .append(r.lost()).append(" | ").append(r.unacknowledgedDelivered()).append(" | ")
                    .append(r.passedOver()).append(" |\n");
        }
        return b.toString();
    }
}
