#!/usr/bin/env bash
# End-to-end benchmark over HTTP: starts `tower up` (1 master + 2 agents) on a free port, runs the benchmark
# framework (`tower bench`) against it, prints tasks/s and submit->RUNNING latency with ratios against this
# machine's raw process-spawn baseline measured in the same run, then stops the cluster.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-5070}"
log="$(mktemp -t tower-bench-up.XXXXXX)"
"$root/tower" --version >/dev/null   # build first if needed, so the cluster starts at once
TOWER_LOG_LEVEL=warn "$root/tower" up --no-kafka --port "$port" --agents 2 --agent-resources 'cpus:64;mem:65536;disk:10000' >"$log" 2>&1 &
up=$!
trap 'kill $up 2>/dev/null; wait $up 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  grep -q "ready at" "$log" && break
  kill -0 $up 2>/dev/null || { cat "$log"; echo "tower up failed" >&2; exit 1; }
  sleep 0.5
done
grep -q "ready at" "$log" || { cat "$log"; echo "tower up did not become ready" >&2; exit 1; }
TOWER_LOG_LEVEL=warn "$root/tower" bench --master "127.0.0.1:$port" "$@"
