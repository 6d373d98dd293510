#!/usr/bin/env bash
# `make bench`: starts DynamoDB Local, builds in release mode, runs every benchmark and prints
# tables of figures. Sizes for the API bench: BENCH_SIZES (default "10000 100000");
# BENCH_SKIP_QUOTA=1 skips the simulated quota day (about 5 minutes).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (Debian package) for the HTTP load test" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq wrk >/dev/null
fi

run="$root/.local/run"; mkdir -p "$run"
serve_pids=()
cleanup() {
  for p in "${serve_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  scripts/services.sh stop ddb || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ddb_port=$(scripts/services.sh free-port)
scripts/services.sh start-ddb "$ddb_port"
export TUBEFEED_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export RUST_LOG=${RUST_LOG:-warn}

target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --examples -p tubefeed-app >&2
cargo build --release -p tubefeed >&2
echo
"$target/release/examples/ingest_bench"
echo
"$target/release/examples/write_bench"
echo
rm -f "$run/bench-tables"
BENCH_TABLE_FILE="$run/bench-tables" "$target/release/examples/api_bench" ${BENCH_SIZES:-10000 100000}
if [ -z "${BENCH_SKIP_QUOTA:-}" ] && [ -x "$target/release/examples/quota_day" ]; then
  echo
  "$target/release/examples/quota_day"
fi

# `tubefeed serve` under load on loopback, on the first API bench table.
# Starts `tubefeed serve` on a free loopback port; sets $base. Not called inside $(...): the
# server would hold the substitution's output open, and its PID would be lost to a subshell.
start_serve() { # cache_seconds [table]
  local log="$run/serve-$1.log" table=${2:-$(awk 'NR==1 {print $2}' "$run/bench-tables")}
  TABLE_NAME="$table" SEARCH_QUERIES=cricket PAGE_TOKEN_SECRET=bench-secret-0123456789 \
    API_CACHE_SECONDS="$1" AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    "$target/release/tubefeed" serve --addr 127.0.0.1:0 </dev/null >/dev/null 2>"$log" &
  serve_pids+=($!)
  base=""
  for _ in $(seq 100); do
    base=$(sed -n 's/^tubefeed: serving on //p' "$log")
    [ -n "$base" ] && return 0
    sleep 0.1
  done
  echo "bench: tubefeed serve did not start; see $log" >&2
  return 1
}
echo
echo "## API: tubefeed serve under load (wrk, 2 threads, 32 connections, 10 s, loopback)"
echo
echo "| request | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
for cache in 0 5; do
  start_serve "$cache"
  for path in "/videos?limit=20" "/search?q=wicket&limit=20"; do
    out=$(wrk -t2 -c32 -d10s --latency "$base$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    label="GET $path"; [ "$cache" != 0 ] && label="$label (first-page cache ${cache}s)"
    echo "| $label | $rps | $p50 | $p99 |"
  done
done
echo
echo "Uncached rows measure DynamoDB Local as much as tubefeed (each request is a Query on the"
echo "emulator); the cached rows show the warm-process path a hot first page takes."

# One request at a time, a fresh connection each (a new curl), first-page cache off: what one
# client waits for a page. The search rows follow one warm-up request (the word counts a warm
# Lambda remembers).
latency_rows() { # size table
  start_serve 0 "$2"
  local path i times feed50="" p50 p99
  for path in "/videos?limit=20" "/search?q=wicket&limit=20" "/search?q=highl&limit=20" \
    "/search?q=kohli&limit=20" "/search?q=tea+ho&limit=20" "/search?q=wick+bowl&limit=20"; do
    curl -fsS -o /dev/null "$base$path"
    times=$(for i in $(seq 100); do curl -fsS -o /dev/null -w '%{time_total}\n' "$base$path"; done | sort -n)
    p50=$(sed -n 50p <<<"$times"); p99=$(sed -n 99p <<<"$times")
    [ -z "$feed50" ] && feed50=$p50
    awk -v n="$1" -v p="$path" -v a="$p50" -v b="$p99" -v f="$feed50" \
      'BEGIN { printf "| %s | GET %s | %.1f ms | %.1f ms | %.2f |\n", n, p, a*1000, b*1000, a/f }'
  done
  kill "${serve_pids[-1]}" 2>/dev/null || true
}
echo
echo "## API: one client, fresh connection per request, uncached (tubefeed serve, 100 requests each)"
echo
echo "| videos | request | p50 | p99 | p50 / feed p50 |"
echo "|---:|---|---:|---:|---:|"
while read -r size table; do latency_rows "$size" "$table"; done <"$run/bench-tables"
