#!/usr/bin/env bash
# `make bench`: starts DynamoDB Local, builds in release mode, runs every benchmark and prints
# tables of figures. Sizes for the API bench: BENCH_SIZES (default "10000 100000");
# BENCH_SKIP_QUOTA=1 skips the simulated quota days (one key pool over a day, then the scale
# table of issue 10: about 15 minutes together).
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
cargo build --release -p tubefeed -p youtube-sim >&2
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

# Soak: `tubefeed serve` under load for SOAK_SECONDS while `tubefeed fetch` ingests new videos
# from the simulator every 3 s. Loopback only; wrk and the fetch loop end by themselves.
soak_seconds=${SOAK_SECONDS:-60}
sim_port=$(scripts/services.sh free-port)
"$target/release/youtube-sim" --port "$sim_port" --topics cricket --rate-per-minute 30 \
  --backfill-minutes 10 --keys sim-key-1 --daily-calls-per-key 1000000 </dev/null >"$run/soak-sim.log" 2>&1 &
serve_pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$sim_port/_sim/state" >/dev/null 2>&1 && break; sleep 0.1; done
soak_table="soak-$$-$RANDOM"
soak_env=(TABLE_NAME="$soak_table" SEARCH_QUERIES=cricket YOUTUBE_API_KEYS=sim-key-1
  YOUTUBE_API_BASE_URL="http://127.0.0.1:$sim_port/youtube/v3" YOUTUBE_DAILY_CALLS_PER_KEY=1000000
  FETCH_BACKFILL_PAGES=10 AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn)
env "${soak_env[@]}" "$target/release/tubefeed" table create >/dev/null
env "${soak_env[@]}" "$target/release/tubefeed" fetch >/dev/null
start_serve 1 "$soak_table"
serve_pid=${serve_pids[-1]}
rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }
rss_start=$(rss "$serve_pid")
fetches=0
(
  end=$((SECONDS + soak_seconds))
  while [ $SECONDS -lt $end ]; do
    env "${soak_env[@]}" "$target/release/tubefeed" fetch >>"$run/soak-fetch.log" 2>&1 || echo "fetch failed" >>"$run/soak-fetch.log"
    sleep 3
  done
) &
fetch_loop=$!
cat >"$run/soak.lua" <<'LUA'
local paths = { "/videos?limit=20", "/search?q=highl&limit=20", "/search?q=crick+live&limit=20",
  "/videos?limit=50&order=asc", "/health", "/search?q=%E0%A4%95%E0%A5%8D%E0%A4%B0&limit=10" }
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
LUA
out=$(wrk -t2 -c8 -d"${soak_seconds}s" --latency -s "$run/soak.lua" "$base")
wait "$fetch_loop" || true
rss_end=$(rss "$serve_pid")
fetches=$(grep -c '"ok":true' "$run/soak-fetch.log" || true)
failed=$(grep -c 'fetch failed' "$run/soak-fetch.log" || true)
requests=$(awk '/requests in/ {print $1}' <<<"$out")
errors=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out"); errors=${errors:-0}
sockerr=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$out"); sockerr=${sockerr:-0}
p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
echo
echo "## Soak: tubefeed serve under load (wrk 2×8, ${soak_seconds} s, mixed routes, first-page cache 1 s) while tubefeed fetch ingests every 3 s"
echo
echo "| requests | errors (non-2xx/3xx + socket) | p50 | p99 | fetch runs ok / failed | serve RSS start | serve RSS end |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
echo "| $requests | $((errors + sockerr)) | $p50 | $p99 | $fetches / $failed | $rss_start | $rss_end |"
