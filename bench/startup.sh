#!/usr/bin/env bash
# Start-to-ready time and resident memory of each service in JVM mode, with and without a JDK 25 AOT cache
# (JEP 483/514: a training run writes the cache with -XX:AOTCacheOutput, later runs load it with -XX:AOTCache),
# next to the baseline measured in the same run: a bare JVM whose only work is to connect a jnats client
# (dev.orgmesh.bench.RawClientStart), under the same flags.
# Ready = /q/health/ready answers 200 (NATS connected, work started); for the baseline, the line "ready" once
# connected. RSS is read from /proc at that moment. Prints Markdown for docs/benchmarks.md and, with
# BENCH_RESULTS=DIR, writes DIR/startup.json for bench/charts.py.
#   bench/startup.sh            # needs the services, the cli and bench built: ./mvnw -B package -DskipTests
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && export JAVA_HOME="$d" && break; done
fi
java="$JAVA_HOME/bin/java"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
nats_port=$((20000 + RANDOM % 20000))
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$work/js" >"$work/nats.log" 2>&1 &
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$nats_port) 2>/dev/null && break; sleep 0.1; done

# vault-bridge needs the agents' public keys: render the example org once.
"$java" -jar "$root/cli/target/orgmesh-cli.jar" render "$root/examples/komodo-ai.yaml" --out "$work/render" >/dev/null 2>&1

props() {
  case "$1" in
    hub-bootstrap) echo "-Dorgmesh.bootstrap.org-file=$root/examples/komodo-ai.yaml" ;;
    heartbeat) echo "-Dorgmesh.heartbeat.org-file=$root/examples/komodo-ai.yaml" ;;
    vault-bridge) echo "-Dorgmesh.vault.org-file=$root/examples/komodo-ai.yaml -Dorgmesh.vault.store-path=$work/vault.store -Dorgmesh.vault.keys-dir=$work/render" ;;
    agent-runtime) echo "-Dorgmesh.agent.org-file=$root/examples/komodo-ai.yaml -Dorgmesh.agent.id=cto-athena" ;;
  esac
}

rss_of() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }

# run SERVICE EXTRA_JVM_ARGS -> "ms rss_mib"
run() {
  local svc="$1"; shift
  local port=$((20000 + RANDOM % 20000))
  local start end pid
  start=$(date +%s%N)
  if [ "$svc" = raw-jnats ]; then
    local cp; cp="$root/bench/target/orgmesh-bench.jar:$(ls "$root"/bench/target/lib/jnats-*.jar)"
    "$java" "$@" -Xmx256m -cp "$cp" dev.orgmesh.bench.RawClientStart "nats://127.0.0.1:$nats_port" \
      >"$work/$svc.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do grep -q '^ready' "$work/$svc.log" 2>/dev/null && break; sleep 0.01; done
  else
    ORGMESH_VAULT_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" "$java" "$@" -Xmx256m \
      -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dquarkus.http.port="$port" \
      -Dorgmesh.nats.url="nats://127.0.0.1:$nats_port" $(props "$svc") \
      -jar "$root/$svc/target/quarkus-app/quarkus-run.jar" >"$work/$svc.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
      if curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1; then break; fi
      sleep 0.05
    done
  fi
  end=$(date +%s%N)
  local rss; rss=$(rss_of "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - start) / 1000000 )) $rss"
}

# measure SERVICE -> "t_nocache rss_nocache t_aot rss_aot"
measure() {
  local svc="$1" t1 r1 t2 r2
  run "$svc" >/dev/null                                   # warm the file cache
  read -r t1 r1 < <(run "$svc")
  run "$svc" -XX:AOTCacheOutput="$work/$svc.aot" >/dev/null  # training run; the cache is written at exit
  if [ -f "$work/$svc.aot" ]; then
    read -r t2 r2 < <(run "$svc" -XX:AOTCache="$work/$svc.aot")
  else
    t2=0; r2=0
  fi
  echo "$t1 $r1 $t2 $r2"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }

read -r bt1 br1 bt2 br2 < <(measure raw-jnats)
echo "| process | start to ready, ms (no cache) | × raw | RSS MiB | × raw | start to ready, ms (AOT cache) | × raw | RSS MiB | × raw |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| raw jnats client JVM (baseline) | $bt1 | 1.00× | $br1 | 1.00× | $bt2 | 1.00× | $br2 | 1.00× |"
json="{\"bench\": \"startup\", \"when\": \"$(date -u +%FT%TZ)\", \"machine\": \"$(nproc) cores, $("$java" -version 2>&1 | head -1 | tr -d '"'), $(uname -sr)\", \"figures\": ["
sep=""
for svc in hub-bootstrap heartbeat vault-bridge agent-runtime; do
  read -r t1 r1 t2 r2 < <(measure "$svc")
  echo "| $svc | $t1 | $(ratio "$t1" "$bt1") | $r1 | $(ratio "$r1" "$br1") | $t2 | $(ratio "$t2" "$bt2") | $r2 | $(ratio "$r2" "$br2") |"
  for f in "start to ready, no cache|ms|$t1|$bt1" "RSS, no cache|MiB|$r1|$br1" \
           "start to ready, AOT cache|ms|$t2|$bt2" "RSS, AOT cache|MiB|$r2|$br2"; do
    IFS='|' read -r label unit ours raw <<<"$f"
    json+="$sep{\"label\": \"$svc $label\", \"unit\": \"$unit\", \"orgmesh\": $ours, \"raw\": $raw, \"ratio\": $(awk -v a="$ours" -v b="$raw" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }'), \"higher_is_better\": false, \"target\": null, \"met\": null}"
    sep=", "
  done
done
json+="]}"
if [ -n "${BENCH_RESULTS:-}" ]; then
  mkdir -p "$BENCH_RESULTS"
  echo "$json" | python3 -m json.tool >"$BENCH_RESULTS/startup.json"
fi
