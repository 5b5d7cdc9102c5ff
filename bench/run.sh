#!/usr/bin/env bash
# Runs the benchmarks (all, or the ones named) and prints their results as Markdown.
#   bench/run.sh                 # everything
#   bench/run.sh heartbeat       # one
# Results: append or copy into docs/benchmarks.md. Needs nats-server and a JDK 25 (see README).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && export JAVA_HOME="$d" && break; done
fi
(cd "$root" && ./mvnw -B -q -pl bench -am package -DskipTests -Dformatter.skip -Dimpsort.skip)
exec "$JAVA_HOME/bin/java" -Xmx2g -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "$root/bench/target/orgmesh-bench.jar:$root/bench/target/lib/*" dev.orgmesh.bench.BenchMain "$@"
