#!/usr/bin/env bash
# Tower's events -> Kafka benchmark: events/s from KafkaEventSink.publish to Kafka's ack (target >= 50,000/s) and
# publish -> ack p99 at a fixed rate (target <= 100 ms), against a local single-node broker (a child JVM, stopped at
# the end), with a bare KafkaProducer sending the same CloudEvents as the same-run baseline. See bench/README.md.
#
#   bench/kafka.sh [--events N] [--rate EVENTS_PER_S] [--seconds S] [--bootstrap HOST:PORT] [--producer key=value]...
#
# Builds offline (Maven -o) unless MVN_OFFLINE= is set empty.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/kafka-events/target/bench
mkdir -p "$OUT"

echo ">> building kafka-events' test classes and class path" >&2
mvn -q -B ${MVN_OFFLINE--o} -f "$ROOT/pom.xml" -pl kafka-events -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$OUT/classpath.txt" -Dmdep.includeScope=test
# The broker's log4j binding belongs to the broker JVM only (KafkaBroker finds it itself); keep slf4j-simple here.
CP="$ROOT/kafka-events/target/test-classes:$ROOT/kafka-events/target/classes:$(tr ':' '\n' < "$OUT/classpath.txt" \
    | grep -v 'log4j-slf4j2-impl' | paste -sd:)"

exec java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.tower.kafka.KafkaSinkBenchmark "$@"
