#!/usr/bin/env bash
# From a fresh Debian machine with the Swift toolchain to a consumer processing messages:
# installs librdkafka, builds, starts librdkafka's mock Kafka cluster with sample messages,
# runs EchoConsumer through racecar-host until it has processed them, then stops it
# gracefully with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pkg-config --exists rdkafka 2>/dev/null; then
    ${SUDO:-$( [ "$(id -u)" -eq 0 ] || echo sudo )} apt-get update
    ${SUDO:-$( [ "$(id -u)" -eq 0 ] || echo sudo )} env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends librdkafka-dev pkg-config
fi
swift build

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

messages=12
.build/debug/racecar-host mock-cluster --topic events:3 --sample-messages "$messages" > "$work/cluster.out" &
until grep -q '^brokers: ' "$work/cluster.out"; do sleep 0.2; done
brokers=$(sed -n 's/^brokers: //p' "$work/cluster.out")
echo "mock Kafka cluster at $brokers with $messages sample messages on topic events"

RACECAR_BROKERS=$brokers .build/debug/racecar-host --plugin .build/debug/libEchoConsumer.so EchoConsumer \
    > "$work/processed.out" &
host=$!
tail -f "$work/processed.out" &
until [ "$(wc -l < "$work/processed.out")" -ge "$messages" ]; do sleep 0.2; done
kill -TERM "$host"
wait "$host"
echo "EchoConsumer processed $(wc -l < "$work/processed.out") messages and stopped cleanly"
