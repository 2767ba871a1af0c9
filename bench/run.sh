#!/usr/bin/env bash
# Runs Tower's master-core benchmarks (JMH, from the manager module's test classes) and prints each figure as a
# ratio against its target and against a baseline measured in the same run. See bench/README.md.
#
#   bench/run.sh [allocator|core|all] [extra JMH options, e.g. -prof stack or -prof gc]
#
# Builds offline (Maven -o) unless MVN_OFFLINE= is set empty. Results (JMH JSON) go to manager/target/bench/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHAT=${1:-all}
[ $# -gt 0 ] && shift
OUT=$ROOT/manager/target/bench
mkdir -p "$OUT"

case "$WHAT" in
  allocator|core|all) ;;
  *) echo "usage: $0 [allocator|core|all] [JMH options...]" >&2; exit 2 ;;
esac

echo ">> building the manager's test classes and classpath" >&2
mvn -q -B ${MVN_OFFLINE--o} -f "$ROOT/pom.xml" -pl manager -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$OUT/classpath.txt" -Dmdep.includeScope=test
CP="$ROOT/manager/target/test-classes:$ROOT/manager/target/classes:$(cat "$OUT/classpath.txt")"

jmh() {
  java -cp "$CP" org.openjdk.jmh.Main "$@"
}

RESULTS=()
if [ "$WHAT" = allocator ] || [ "$WHAT" = all ]; then
  rm -f "$OUT/allocator.json" "$OUT/allocator-naive.json"
  # Tower's cycle: sample mode (every cycle timed; median and p99), 3 x 2 s warm-up, 5 x 2 s measured.
  jmh 'bench\.AllocatorCycleBenchmark\.' -f 1 -wi 3 -w 2s -i 5 -r 2s -rf json -rff "$OUT/allocator.json" "$@"
  # The naive baseline takes seconds per cycle: single shots, 1 warm-up, 5 measured.
  jmh 'bench\.NaiveAllocatorBenchmark\.' -f 1 -wi 1 -i 5 -rf json -rff "$OUT/allocator-naive.json" "$@"
  RESULTS+=("$OUT/allocator.json" "$OUT/allocator-naive.json")
fi
if [ "$WHAT" = core ] || [ "$WHAT" = all ]; then
  rm -f "$OUT/core.json"
  # 1,000 agents (the target case) and 10 agents (the baseline), 3 x 3 s warm-up, 5 x 3 s measured each.
  jmh 'bench\.CoreThroughputBenchmark\.' -f 1 -wi 3 -w 3s -i 5 -r 3s -rf json -rff "$OUT/core.json" "$@"
  RESULTS+=("$OUT/core.json")
fi

echo
echo "==================== Tower master-core benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus) ===================="
java -cp "$CP" dev.tower.manager.bench.BenchReport "${RESULTS[@]}"
