#!/usr/bin/env bash
# `make bench`: starts DynamoDB Local, runs every benchmark in release mode, prints figures.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
trap 'scripts/services.sh stop ddb || true' EXIT INT TERM
ddb_port=$(scripts/services.sh free-port)
scripts/services.sh start-ddb "$ddb_port"
export TUBEFEED_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export RUST_LOG=${RUST_LOG:-warn}

cargo build --release --examples -p tubefeed-app >&2
echo
"$root/target/release/examples/ingest_bench"
