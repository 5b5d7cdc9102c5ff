#!/usr/bin/env bash
# Start-to-ready time and resident memory of each service in JVM mode, with and without a JDK 25 AOT cache
# (JEP 483/514: a training run writes the cache with -XX:AOTCacheOutput, later runs load it with -XX:AOTCache).
# Ready = /q/health/ready answers 200 (NATS connected). Prints a Markdown table for docs/benchmarks.md.
#   bench/startup.sh            # needs the services and the cli built: ./mvnw -B package -DskipTests
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
"$java" -jar "$root/cli/target/orgmesh-cli.jar" render "$root/examples/komodo-ai.yaml" --out "$work/render" >/dev/null

props() {
  case "$1" in
    hub-bootstrap) echo "-Dorgmesh.bootstrap.org-file=$root/examples/komodo-ai.yaml" ;;
    heartbeat) echo "-Dorgmesh.heartbeat.org-file=$root/examples/komodo-ai.yaml" ;;
    vault-bridge) echo "-Dorgmesh.vault.org-file=$root/examples/komodo-ai.yaml -Dorgmesh.vault.store-path=$work/vault.store -Dorgmesh.vault.keys-dir=$work/render" ;;
    agent-runtime) echo "-Dorgmesh.agent.org-file=$root/examples/komodo-ai.yaml -Dorgmesh.agent.id=cto-athena" ;;
  esac
}

# run SERVICE EXTRA_JVM_ARGS -> "ms rss_mib"
run() {
  local svc="$1"; shift
  local port=$((20000 + RANDOM % 20000))
  local start end pid
  start=$(date +%s%N)
  ORGMESH_VAULT_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" "$java" "$@" -Xmx256m \
    -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dquarkus.http.port="$port" \
    -Dorgmesh.nats.url="nats://127.0.0.1:$nats_port" $(props "$svc") \
    -jar "$root/$svc/target/quarkus-app/quarkus-run.jar" >"$work/$svc.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    if curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1; then break; fi
    sleep 0.05
  done
  end=$(date +%s%N)
  local rss; rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - start) / 1000000 )) $rss"
}

echo "| service | start to ready, ms (no cache) | RSS MiB | start to ready, ms (AOT cache) | RSS MiB |"
echo "|---|---|---|---|---|"
for svc in hub-bootstrap heartbeat vault-bridge agent-runtime; do
  run "$svc" >/dev/null                                   # warm the file cache
  read -r t1 r1 < <(run "$svc")
  run "$svc" -XX:AOTCacheOutput="$work/$svc.aot" >/dev/null  # training run; the cache is written at exit
  if [ -f "$work/$svc.aot" ]; then
    read -r t2 r2 < <(run "$svc" -XX:AOTCache="$work/$svc.aot")
  else
    t2="n/a"; r2="n/a"
  fi
  echo "| $svc | $t1 | $r1 | $t2 | $r2 |"
done
