#!/usr/bin/env bash
# Spark on Tower against Spark standalone, from the same jars (spark-backend/target/spark-home), with the same total
# cores (2 agents / 2 workers of 2 cores each) and the same executor sizes (2 cores, 1g). Runs the Pi and WordCount
# examples on each system, alternating which goes first, RUNS times (default 3), then prints per job the median
# wall time on each, the ratio Tower/standalone (target <= 1.00), and the median time from submit until every
# executor was registered with the driver. Both clusters are stopped at the end.
#
#   bench/spark.sh                # 3 rounds, about 6 minutes on 2 cores
#   RUNS=5 bench/spark.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-3}"
tower_port="${TOWER_PORT:-5090}"
sa_port="${STANDALONE_PORT:-7177}"
sa_ui="${STANDALONE_UI_PORT:-8190}"
sh_dir="$root/spark-backend/target/spark-home"
examples="$sh_dir/examples/jars/tower-spark-examples.jar"

"$root/tower" --version >/dev/null   # builds Tower and the Spark home if needed
work="$(mktemp -d -t tower-spark-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The drivers log when each executor registers, with milliseconds; everything else stays at WARN.
mkdir -p "$work/conf"
sed 's/%d{yy\/MM\/dd HH:mm:ss}/%d{HH:mm:ss.SSS}/' "$sh_dir/conf/log4j2.properties" > "$work/conf/log4j2.properties"
cat >> "$work/conf/log4j2.properties" <<'EOF'
logger.registered.name = org.apache.spark.scheduler.cluster
logger.registered.level = info
logger.towerregistered.name = dev.tower.spark
logger.towerregistered.level = info
EOF
export SPARK_CONF_DIR="$work/conf"

echo "starting Tower (2 agents x 2 cpus) and Spark standalone (2 workers x 2 cores)..."
TOWER_LOG_LEVEL=warn "$root/tower" up --no-kafka --port "$tower_port" --agents 2 --agent-resources 'cpus:2;mem:4096;disk:10000' \
  > "$work/tower-up.log" 2>&1 &
pids+=($!)
"$sh_dir/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$sa_port" \
  --webui-port "$sa_ui" > "$work/sa-master.log" 2>&1 &
pids+=($!)
for w in 1 2; do
  mkdir -p "$work/worker$w"
  "$sh_dir/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 2 --memory 4g \
    --webui-port $((sa_ui + w)) --work-dir "$work/worker$w" "spark://127.0.0.1:$sa_port" > "$work/sa-worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 120); do
  tower_ok=0; sa_ok=0
  grep -q "ready at" "$work/tower-up.log" && tower_ok=1
  curl -s "http://127.0.0.1:$sa_ui/json/" 2>/dev/null | grep -q '"aliveworkers" *: *2' && sa_ok=1
  [ $tower_ok = 1 ] && [ $sa_ok = 1 ] && break
  sleep 0.5
done
[ "$tower_ok" = 1 ] || { tail -20 "$work/tower-up.log"; echo "tower up did not become ready" >&2; exit 1; }
[ "$sa_ok" = 1 ] || { tail -20 "$work"/sa-*.log; echo "Spark standalone did not become ready" >&2; exit 1; }

# WordCount input: ~40 MB of text from a fixed vocabulary, the same for every run.
awk 'BEGIN { srand(7); for (i = 0; i < 800000; i++) { line = ""; for (j = 0; j < 8; j++) line = line " w" int(rand() * rand() * 5000); print line } }' \
  > "$work/words.txt"

# run SYSTEM JOB -> appends "SYSTEM JOB WALL_SECONDS EXECUTORS_READY_SECONDS" to results
run() {
  local system="$1" job="$2" master args log start end
  case "$system" in
    tower) master="spark+tower://127.0.0.1:$tower_port" ;;
    standalone) master="spark://127.0.0.1:$sa_port" ;;
  esac
  case "$job" in
    pi) args=(--class dev.tower.spark.examples.Pi "$examples" 16 20000000) ;;
    wordcount) args=(--class dev.tower.spark.examples.WordCount "$examples" "$work/words.txt") ;;
  esac
  log="$work/$system-$job-$RANDOM.log"
  start=$(date +%s.%N)
  if ! "$sh_dir/bin/spark-submit" --master "$master" --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false \
      --total-executor-cores 4 --executor-cores 2 --executor-memory 1g --driver-memory 1g "${args[@]}" \
      > "$log" 2>&1; then
    tail -30 "$log"; echo "$job on $system failed" >&2; exit 1
  fi
  end=$(date +%s.%N)
  # The second "Registered executor" line: both executors are up. Its time of day, made absolute with today's date.
  local reg
  reg=$(grep "Registered executor" "$log" | sed -n 2p | cut -d" " -f1 || true)
  local ready="nan"
  if [ -n "$reg" ]; then
    ready=$(echo "$(date -d "$(date +%F) $reg" +%s.%N) - $start" | bc)
  fi
  echo "$system $job $(echo "$end - $start" | bc) $ready" | tee -a "$work/results"
}

for i in $(seq 1 "$runs"); do
  for job in pi wordcount; do
    if [ $((i % 2)) = 1 ]; then run tower "$job"; run standalone "$job"; else run standalone "$job"; run tower "$job"; fi
  done
done

python3 - "$work/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(system, job, col):
    vals = [float(r[col]) for r in rows if r[0] == system and r[1] == job and r[col] != "nan"]
    return statistics.median(vals) if vals else float("nan")
print()
print("%-10s %14s %14s %16s %20s %20s" % ("job", "tower wall s", "standalone s", "ratio (<= 1.00)",
                                          "tower execs ready s", "standalone ready s"))
for job in ("pi", "wordcount"):
    t, s = med("tower", job, 2), med("standalone", job, 2)
    print("%-10s %14.2f %14.2f %16.2f %20.2f %20.2f" % (job, t, s, t / s, med("tower", job, 3), med("standalone", job, 3)))
print("(medians of %d runs each; ready = submit until both executors registered with the driver)" %
      len([r for r in rows if r[0] == "tower" and r[1] == "pi"]))
EOF
