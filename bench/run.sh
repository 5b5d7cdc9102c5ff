#!/usr/bin/env bash
# One command for every benchmark: each measures orgmesh and raw jnats doing the same work in the same run, against
# real nats-servers on 127.0.0.1, and reports the ratio.
#   bench/run.sh                          # everything: heartbeat pipeline ask tasks vault startup, then the charts
#   bench/run.sh tasks ask                # the ones named
#   bench/run.sh -Dbench.agents=10000 heartbeat   # -D options (sizes, see BenchMain) go to the JVM
# Markdown goes to standard output; each benchmark's figures to bench/results/<name>.json, from which
# bench/charts.py redraws docs/img/bench-*.svg. Copy the Markdown into docs/benchmarks.md.
# Builds first (bench, and for startup the services and the cli); set BENCH_NO_BUILD=1 to skip that.
# Runs on the pinned nats-server (deploy/nats/versions.properties), put first on PATH by deploy/nats/install (built into
# ~/.cache/orgmesh with go install the first time). Needs a JDK 25 (see README). On a shared machine, hold the Maven
# lock while it builds:
#   flock /tmp/orgmesh-maven.lock bench/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && export JAVA_HOME="$d" && break; done
fi
nats_server="$("$root/deploy/nats/install" server)"
export PATH="$(dirname "$nats_server"):$PATH"
echo "bench: $(nats-server --version) at $nats_server" >&2
jvm_opts=()
names=()
for a in "$@"; do
  case "$a" in
    -D*|-X*) jvm_opts+=("$a") ;;
    *) names+=("$a") ;;
  esac
done
[ ${#names[@]} -eq 0 ] && names=(heartbeat pipeline ask tasks vault startup)
java_names=()
startup=no
for n in "${names[@]}"; do
  if [ "$n" = startup ]; then startup=yes; else java_names+=("$n"); fi
done

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  modules=bench
  [ "$startup" = yes ] && modules=bench,cli,hub-bootstrap,heartbeat,vault-bridge,agent-runtime
  (cd "$root" && ./mvnw -B -q -pl "$modules" -am package -DskipTests -Dformatter.skip -Dimpsort.skip)
fi

results="${BENCH_RESULTS:-$root/bench/results}"   # BENCH_RESULTS / BENCH_CHARTS: elsewhere, for a trial run
charts="${BENCH_CHARTS:-$root/docs/img}"
if [ ${#java_names[@]} -gt 0 ]; then
  "$JAVA_HOME/bin/java" -Xmx4g -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
    -Dbench.results="$results" "${jvm_opts[@]}" \
    -cp "$root/bench/target/orgmesh-bench.jar:$root/bench/target/lib/*" dev.orgmesh.bench.BenchMain "${java_names[@]}"
fi
if [ "$startup" = yes ]; then
  echo "### Start to ready and RSS per service, JVM mode"
  echo
  BENCH_RESULTS="$results" "$root/bench/startup.sh"
  echo
fi
if command -v python3 >/dev/null; then
  python3 "$root/bench/charts.py" "$results" "$charts" >&2
fi
