#!/usr/bin/env bash
# What authentication and TLS cost end to end: `tower up` twice on free ports — plain, then with --auth --tls — and
# the same `tower bench` against each (the second as admin, trusting the cluster's CA); prints both throughputs and
# latencies and the secure/plain ratio. Extra arguments go to both `tower bench` runs (e.g. --tasks 3000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tower" --version >/dev/null   # build first if needed
work="$(mktemp -d -t tower-bench-secure.XXXXXX)"
up=""
trap '[ -n "$up" ] && { kill $up 2>/dev/null; wait $up 2>/dev/null || true; }; rm -rf "$work"' EXIT

# Starts `tower up` with the given flags in $work/$1; sets $port once it is ready (no subshell: $up must stay ours).
start() {
  local name=$1; shift
  port=$((20000 + RANDOM % 20000))
  TOWER_LOG_LEVEL=warn "$root/tower" up --no-kafka --port "$port" --agents 2 --work-dir "$work/$name" \
    --agent-resources 'cpus:64;mem:65536;disk:10000' "$@" >"$work/$name.log" 2>&1 &
  up=$!
  for _ in $(seq 1 120); do
    grep -q "ready at" "$work/$name.log" && return
    kill -0 $up 2>/dev/null || { cat "$work/$name.log" >&2; echo "tower up failed" >&2; exit 1; }
    sleep 0.5
  done
  cat "$work/$name.log" >&2; echo "tower up did not become ready" >&2; exit 1
}

stop() {
  kill $up 2>/dev/null; wait $up 2>/dev/null || true; up=""
}

start plain
echo "== plain HTTP, no authentication"
TOWER_LOG_LEVEL=warn "$root/tower" bench --master "127.0.0.1:$port" "$@" | tee "$work/plain.out"
stop

start secure --auth --tls
echo "== HTTPS, every call authenticated (admin)"
TOWER_LOG_LEVEL=warn "$root/tower" bench --master "127.0.0.1:$port" --principal admin \
  --secret-file "$work/secure/security/admin.secret" --ca-cert "$work/secure/tls/ca.pem" "$@" | tee "$work/secure.out"
stop

rate() { sed -n 's/.* in \([0-9]*\) tasks\/s end to end.*/\1/p' "$1"; }
p50() { sed -n 's/.*latency submit->RUNNING.*p50 \([0-9.]*\) ms.*/\1/p' "$1"; }
plain=$(rate "$work/plain.out"); secure=$(rate "$work/secure.out")
echo
echo "summary: plain $plain tasks/s (p50 $(p50 "$work/plain.out") ms), auth+TLS $secure tasks/s (p50 $(p50 "$work/secure.out") ms);" \
  "ratio auth+TLS/plain $(awk -v s="$secure" -v p="$plain" 'BEGIN { printf "%.2f", s / p }')"
