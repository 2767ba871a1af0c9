#!/usr/bin/env bash
# YARN on Tower against plain YARN, from the same jars (hadoop-bridge/target/hadoop-home) and the same client settings
# (512 MB containers). Tower: a master and two agents (8 cpus, 6144 MB each), `tower yarn start` (NodeManagers start
# at 1024 and 512 MB and grow with offers while containers wait). Plain YARN: a ResourceManager and two NodeManagers of
# a fixed 3072 MB / 6 vcores each, about what the bridge grows to on those agents. Runs the stock WordCount
# (hadoop-mapreduce-examples 3.4.2) on each, alternating which goes first, RUNS times (default 3), then prints the
# median wall time of each and the ratio bridge/plain. Everything started is stopped at the end.
#
#   bench/yarn.sh            # 3 rounds, about 5 minutes on 2 cores
#   RUNS=5 bench/yarn.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-3}"
tower_port="${TOWER_PORT:-5095}"
hh="$root/hadoop-bridge/target/hadoop-home"
examples="$hh/examples/hadoop-mapreduce-examples-3.4.2.jar"
cli=(java -Xmx256m -cp "$root/cli/target/tower-cli.jar:$root/cli/target/lib/*" dev.tower.cli.TowerCli)

[ -f "$root/cli/target/tower-cli.jar" ] && [ -f "$hh/bridge/tower-hadoop-bridge.jar" ] \
  || "$root/tower" --version >/dev/null   # builds Tower and the Hadoop home if needed
work="$(mktemp -d -t tower-yarn-bench.XXXXXX)"
pids=()
cleanup() {
  # Last started first: the bridge tears its tasks down before the agents and the master stop. Agents that stop leave
  # their tasks running (for recovery), so wait for the master to see the bridge's tasks end before stopping them.
  local i p
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
    if [ "$i" = "$bridge_index" ]; then
      for _ in $(seq 1 40); do
        curl -s "http://127.0.0.1:$tower_port/api/v1/tasks" 2>/dev/null \
          | grep -qE '"state":"(STAGING|STARTING|RUNNING|KILLING)"' || break
        sleep 0.5
      done
    fi
  done
  # Anything still running in this run's directories (a task whose kill did not finish) is ours to stop.
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$work"/*) kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
  done
  rm -rf "$work"
}
bridge_index=-1
trap cleanup EXIT

await() { # await FILE TEXT SECONDS
  for _ in $(seq 1 $(($3 * 2))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
  tail -30 "$1" >&2; echo "timed out waiting for '$2' in $1" >&2; exit 1
}

# site FILE KEY=VALUE... writes a Hadoop configuration file
site() {
  local f="$1"; shift
  { echo '<?xml version="1.0"?><configuration>'
    for kv in "$@"; do echo "<property><name>${kv%%=*}</name><value>${kv#*=}</value></property>"; done
    echo '</configuration>'; } > "$f"
}

echo "starting Tower (master + 2 agents x 8 cpus / 6144 MB) and the YARN bridge..."
"${cli[@]}" master --port "$tower_port" --bind 127.0.0.1 --work-dir "$work/master" > "$work/master.log" 2>&1 &
pids+=($!)
sleep 2
for a in 1 2; do
  "${cli[@]}" agent --master "127.0.0.1:$tower_port" --port $((tower_port + a)) --work-dir "$work/agent$a" \
    --resources "cpus:8;mem:6144;disk:10000;ports:[$((23000 + a * 100))-$((23000 + a * 100 + 49))]" \
    > "$work/agent$a.log" 2>&1 &
  pids+=($!)
done
"${cli[@]}" yarn start --master "127.0.0.1:$tower_port" --nodemanagers 2 --idle-release 5s \
  > "$work/bridge.out" 2> "$work/bridge.err" &
pids+=($!)
bridge_index=$((${#pids[@]} - 1))
await "$work/bridge.out" "YARN ready" 120
"${cli[@]}" yarn client-config "$work/tower-conf" --master "127.0.0.1:$tower_port" > /dev/null

echo "starting plain YARN (ResourceManager + 2 NodeManagers x 3072 MB / 6 vcores)..."
rm_ports=(24100 24101 24102 24103 24104)
rm_site=("yarn.resourcemanager.hostname=127.0.0.1"
  "yarn.resourcemanager.address=127.0.0.1:${rm_ports[0]}" "yarn.resourcemanager.scheduler.address=127.0.0.1:${rm_ports[1]}"
  "yarn.resourcemanager.resource-tracker.address=127.0.0.1:${rm_ports[2]}"
  "yarn.resourcemanager.admin.address=127.0.0.1:${rm_ports[3]}" "yarn.resourcemanager.webapp.address=127.0.0.1:${rm_ports[4]}"
  "yarn.application.classpath=$hh/lib/*")
for d in rm nm1 nm2 client; do
  mkdir -p "$work/plain-$d"
  site "$work/plain-$d/core-site.xml" "fs.defaultFS=file:///"
  cp "$hh/conf/log4j.properties" "$work/plain-$d/"
done
site "$work/plain-rm/yarn-site.xml" "${rm_site[@]}" "yarn.scheduler.maximum-allocation-mb=1024" \
  "yarn.scheduler.maximum-allocation-vcores=2" "yarn.scheduler.minimum-allocation-mb=128" \
  "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms=500"
site "$work/plain-rm/capacity-scheduler.xml" "yarn.scheduler.capacity.root.queues=default" \
  "yarn.scheduler.capacity.root.default.capacity=100" "yarn.scheduler.capacity.root.default.maximum-capacity=100" \
  "yarn.scheduler.capacity.maximum-am-resource-percent=1.0" "yarn.scheduler.capacity.node-locality-delay=0"
for n in 1 2; do
  base=$((24200 + n * 10))
  site "$work/plain-nm$n/yarn-site.xml" "${rm_site[@]}" "yarn.nodemanager.hostname=127.0.0.1" \
    "yarn.nodemanager.address=127.0.0.1:$base" "yarn.nodemanager.localizer.address=127.0.0.1:$((base + 1))" \
    "yarn.nodemanager.webapp.address=127.0.0.1:$((base + 2))" "yarn.nodemanager.aux-services=mapreduce_shuffle" \
    "yarn.nodemanager.aux-services.mapreduce_shuffle.class=org.apache.hadoop.mapred.ShuffleHandler" \
    "yarn.nodemanager.resource.detect-hardware-capabilities=false" "yarn.nodemanager.resource.memory-mb=3072" \
    "yarn.nodemanager.resource.cpu-vcores=6" "yarn.nodemanager.local-dirs=$work/plain-nm$n/local" \
    "yarn.nodemanager.log-dirs=$work/plain-nm$n/logs" "yarn.nodemanager.pmem-check-enabled=false" \
    "yarn.nodemanager.vmem-check-enabled=false" \
    "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage=100.0"
  site "$work/plain-nm$n/mapred-site.xml" "mapreduce.shuffle.port=$((base + 3))"
done
# The client: the same mapred-site.xml as the bridge's client-config, pointed at the plain ResourceManager.
site "$work/plain-client/yarn-site.xml" "${rm_site[@]}"
cp "$work/tower-conf/mapred-site.xml" "$work/plain-client/"
jvm=(java --add-opens=java.base/java.lang=ALL-UNNAMED -XX:+UseSerialGC)
(cd "$work/plain-rm" && exec "${jvm[@]}" -Xmx768m -cp "$work/plain-rm:$hh/lib/*" \
  org.apache.hadoop.yarn.server.resourcemanager.ResourceManager) > "$work/plain-rm.log" 2>&1 &
pids+=($!)
for n in 1 2; do
  (cd "$work/plain-nm$n" && exec env JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}" \
    "${jvm[@]}" -Xmx576m -cp "$work/plain-nm$n:$hh/lib/*" org.apache.hadoop.yarn.server.nodemanager.NodeManager) \
    > "$work/plain-nm$n.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 120); do
  curl -s "http://127.0.0.1:${rm_ports[4]}/ws/v1/cluster/metrics" 2>/dev/null | grep -q '"activeNodes":2' && break
  sleep 0.5
done
curl -s "http://127.0.0.1:${rm_ports[4]}/ws/v1/cluster/metrics" | grep -q '"activeNodes":2' \
  || { tail -20 "$work"/plain-*.log; echo "plain YARN did not become ready" >&2; exit 1; }

# WordCount input: 8 files, ~16 MB of text from a fixed vocabulary, the same for every run.
mkdir -p "$work/in"
for f in $(seq 1 8); do
  awk -v seed="$f" 'BEGIN { srand(seed); for (i = 0; i < 50000; i++) { line = ""; for (j = 0; j < 8; j++) line = line " w" int(rand() * rand() * 5000); print line } }' \
    > "$work/in/part-$f.txt"
done

# run SYSTEM -> appends "SYSTEM WALL_SECONDS" to results
run() {
  local system="$1" conf out start end
  case "$system" in
    bridge) conf="$work/tower-conf" ;;
    plain) conf="$work/plain-client" ;;
  esac
  out="$work/out-$system-$RANDOM"
  start=$(date +%s.%N)
  if ! HADOOP_CONF_DIR="$conf" "$hh/bin/hadoop" jar "$examples" wordcount "file://$work/in" "file://$out" \
      > "$out.log" 2>&1; then
    tail -30 "$out.log"; echo "WordCount on $system failed" >&2; exit 1
  fi
  end=$(date +%s.%N)
  echo "$system $(echo "$end - $start" | bc)" | tee -a "$work/results"
  # Let the bridge give its placeholders back, so every run starts from the base capacity.
  [ "$system" = bridge ] && sleep 12
  return 0
}

for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) = 1 ]; then run bridge; run plain; else run plain; run bridge; fi
done

python3 - "$work/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {s: statistics.median(float(r[1]) for r in rows if r[0] == s) for s in ("bridge", "plain")}
print()
print("%-10s %16s %14s %18s" % ("job", "bridge wall s", "plain YARN s", "ratio bridge/plain"))
print("%-10s %16.2f %14.2f %18.2f" % ("wordcount", med["bridge"], med["plain"], med["bridge"] / med["plain"]))
print("(medians of %d runs each; the bridge starts each run at its base capacity and grows with offers)" %
      len([r for r in rows if r[0] == "bridge"]))
EOF
