package dev.orgmesh.messaging.budget;

import java.io.IOException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;

import dev.orgmesh.protocol.BudgetWire.Refusal;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Budget;
import dev.orgmesh.protocol.org.BudgetRecords;
import dev.orgmesh.protocol.org.BudgetRecords.Reservation;
import dev.orgmesh.protocol.org.BudgetRecords.Spend;
import dev.orgmesh.protocol.org.Org;

/**
 * One agent's spend counters in the budgets bucket (docs/oversight.md), kept by the budget desk (hub-bootstrap), the
 * only writer: before a brain call the agent's runtime asks the desk to <em>reserve</em> tokens on every counter the
 * call rolls up to — the agent, each manager up the reporting line, the team, the company; per day and per month —
 * each with a compare-and-set, refused (rolling back what it took) when a hard limit would be passed; after the call
 * the desk <em>settles</em> the reservation to what the brain reported. Limits come from the org file, overridden per
 * measure by {@code limit.{scope}.{id}} keys that humans set.
 */
public final class SpendLedger {
    private static final int CAS_ATTEMPTS = 50;

    /** One counter scope: {@code agent}, {@code line} (a manager's reporting line), {@code team}, {@code company}. */
    public record Scope(String kind, String id, Budget fromOrg) {
        String limitKey() {
            return BudgetRecords.limitKey(kind, id);
        }
    }

    private final Supplier<KeyValue> bucket;
    private final Clock clock;
    private final List<Scope> scopes;

    public SpendLedger(Org org, Agent agent, Supplier<KeyValue> bucket, Clock clock) {
        this.bucket = bucket;
        this.clock = clock;
        List<Scope> s = new ArrayList<>();
        for (Org.SpendScope scope : org.spendScopes(agent.id())) {
            Budget fromOrg = switch (scope.kind()) {
                case "agent" -> org.oversight().agentBudget(scope.id());
                case "team" -> org.oversight().teamBudget(scope.id());
                case "company" -> org.oversight().companyBudget();
                default -> Budget.UNLIMITED; // a reporting line has a counter, its limit only from a human's key
            };
            s.add(new Scope(scope.kind(), scope.id(), fromOrg));
        }
        this.scopes = List.copyOf(s);
    }

    public List<Scope> scopes() {
        return scopes;
    }

    /** A reservation, or the limit that refused it (then nothing was taken). */
    public record Result(Reservation granted, Refusal refused) {
        public boolean ok() {
            return granted != null;
        }
    }

    /** Reserves {@code tokens} on every counter, or takes nothing and says which limit stops it. */
    public Result reserve(long tokens) throws IOException, InterruptedException {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        String day = BudgetRecords.day(today);
        String month = BudgetRecords.month(today);
        KeyValue kv = bucket.get();
        List<String> done = new ArrayList<>();
        try {
            for (Scope scope : scopes) {
                Budget limit = effective(kv, scope);
                for (String period : List.of(day, month)) {
                    boolean daily = BudgetRecords.daily(period);
                    Long tokenLimit = daily ? limit.tokensPerDay() : limit.tokensPerMonth();
                    Long usdLimit = daily ? limit.microUsdPerDay() : limit.microUsdPerMonth();
                    String key = BudgetRecords.spendKey(scope.kind(), scope.id(), period);
                    Optional<Refusal> refused = add(kv, key, tokens, 0, cur -> {
                        if (tokenLimit != null && cur.tokens() + tokens > tokenLimit) {
                            return new Refusal(scope.kind(), scope.id(), period, "tokens", tokenLimit, cur.tokens());
                        }
                        if (usdLimit != null && cur.microUsd() >= usdLimit) {
                            return new Refusal(scope.kind(), scope.id(), period, "usd", usdLimit, cur.microUsd());
                        }
                        return null;
                    });
                    if (refused.isPresent()) {
                        rollback(kv, done, tokens);
                        return new Result(null, refused.get());
                    }
                    done.add(key);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            rollback(kv, done, tokens);
            throw e;
        }
        return new Result(new Reservation(List.copyOf(done), tokens), null);
    }

    /** Replaces a reservation of {@code reserved} tokens by what was really spent. */
    public void settle(Reservation r, long tokens, long microUsd) throws IOException, InterruptedException {
        KeyValue kv = bucket.get();
        for (String key : r.keys()) {
            add(kv, key, tokens - r.tokens(), microUsd, cur -> null);
        }
    }

    private void rollback(KeyValue kv, List<String> keys, long tokens) {
        for (String key : keys) {
            try {
                add(kv, key, -tokens, 0, cur -> null);
            } catch (IOException | InterruptedException | RuntimeException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                // the counter keeps a reservation that was not used: it errs on the side of spending less
            }
        }
    }

    /** Adds to one counter by compare-and-set; {@code check} may refuse based on the current value. */
    private Optional<Refusal> add(KeyValue kv, String key, long tokens, long microUsd,
            Function<Spend, Refusal> check) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            try {
                KeyValueEntry e = kv.get(key);
                Spend cur = e == null || e.getValue() == null
                        ? Spend.ZERO
                        : Spend.of(Json.mapper().readTree(e.getValue()));
                Refusal refused = check.apply(cur);
                if (refused != null) {
                    return Optional.of(refused);
                }
                byte[] next = Json.write(cur.plus(tokens, microUsd));
                if (e == null || e.getValue() == null) {
                    kv.create(key, next);
                } else {
                    kv.update(key, next, e.getRevision());
                }
                return Optional.empty();
            } catch (JetStreamApiException conflict) {
                // somebody else changed the counter since we read it: read again
                Thread.sleep(Math.min(50, 1 + attempt * 2L));
            }
        }
        throw new IOException("budget counter " + key + " kept changing; gave up after " + CAS_ATTEMPTS + " tries");
    }

    /** The org file's limits for a scope, overridden per measure by {@code limit.{scope}.{id}}. */
    private static Budget effective(KeyValue kv, Scope scope) throws IOException, InterruptedException {
        try {
            KeyValueEntry e = kv.get(scope.limitKey());
            if (e == null || e.getValue() == null) {
                return scope.fromOrg();
            }
            return BudgetRecords.effective(scope.fromOrg(), Json.mapper().readTree(e.getValue()));
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read " + scope.limitKey() + ": " + e.getMessage(), e);
        }
    }
}
