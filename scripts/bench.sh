#!/usr/bin/env bash
# `make bench`: starts DynamoDB Local, builds in release mode, runs every benchmark and prints
# tables of figures. Sizes for the API bench: BENCH_SIZES (default "10000 100000");
# BENCH_SKIP_QUOTA=1 skips the simulated quota days (one key pool over a day, then the scale
# table of issue 10: about 15 minutes together).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
scripts/bootstrap.sh services bench
TUBEFEED_RUN_DIR=$(new_run_dir bench)
export TUBEFEED_RUN_DIR
run=$TUBEFEED_RUN_DIR

serve_pids=()
cleanup() {
  for p in "${serve_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  scripts/services.sh stop ddb || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ddb_port=$(free_port)
scripts/services.sh start-ddb "$ddb_port"
export TUBEFEED_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export RUST_LOG=${RUST_LOG:-warn}

# One build of everything (one feature set, so the dependencies compile once): the benchmark
# programs (crates/bench), the CLI, the simulator and both Lambda binaries.
cargo build --release --bins -p tubefeed-bench -p tubefeed -p youtube-sim -p videos-api -p fetch-videos >&2

# Everything printed below is also kept as target/bench/bench.md and, as JSON, in
# target/bench/figures.json (scripts/bench-summary.py, which also prints the summary table).
bench_dir="$target/bench"; mkdir -p "$bench_dir"
exec 3>&1
exec > >(tee "$bench_dir/bench.md")
tee_pid=$!
echo
"$target/release/bench-ingest"
echo
"$target/release/bench-write-path"
echo
# shellcheck disable=SC2086 # the sizes are words
BENCH_TABLE_FILE="$run/bench-tables" "$target/release/bench-api" ${BENCH_SIZES:-10000 100000}
if [ -z "${BENCH_SKIP_QUOTA:-}" ]; then
  echo
  "$target/release/bench-quota-day"
fi
echo
"$target/release/bench-details"
echo
"$target/release/bench-events"
echo
echo "## Read units per page at 10,000 and 100,000 videos (crates/app/tests/read_bounds.rs)"
echo
cargo test -q --release -p tubefeed-app --test read_bounds -- --include-ignored --nocapture 2>/dev/null |
  grep 'videos, read units per page' || die "read_bounds failed"
echo
echo "## Micro-benchmarks of the pure hot paths (divan; median per call)"
echo
cargo bench -q -p tubefeed-bench --bench hot_paths 2>/dev/null | python3 scripts/bench-summary.py --divan

# `tubefeed serve` under load on loopback, on the first API bench table. Sets $base (lib.sh's
# start_serve); not called inside $(...), which would lose the server's pid to a subshell.
serve_table() { # cache_seconds [table]
  local table=${2:-$(awk 'NR==1 {print $2}' "$run/bench-tables")}
  TABLE_NAME="$table" SEARCH_QUERIES=cricket PAGE_TOKEN_SECRET=bench-secret-0123456789-0123456789 API_SEARCH_PER_SECOND=0 \
    API_CACHE_SECONDS="$1" AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test start_serve "$target/release/tubefeed" "$run/serve-$1.log"
  serve_pids+=("$serve_pid")
}
echo
echo "## API: tubefeed serve under load (wrk, 2 threads, 32 connections, 10 s, loopback)"
echo
echo "| request | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
for cache in 0 5; do
  serve_table "$cache"
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
  serve_table 0 "$2"
  local path times feed50="" p50 p99
  for path in "/videos?limit=20" "/search?q=wicket&limit=20" "/search?q=highl&limit=20" \
    "/search?q=kohli&limit=20" "/search?q=tea+ho&limit=20" "/search?q=wick+bowl&limit=20"; do
    curl -fsS -o /dev/null "$base$path"
    times=$(for _ in $(seq 100); do curl -fsS -o /dev/null -w '%{time_total}\n' "$base$path"; done | sort -n)
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
start_sim "$target/release/youtube-sim" "$run/soak-sim.log" --topics cricket --rate-per-minute 30 \
  --backfill-minutes 10 --keys sim-key-1 --daily-calls-per-key 1000000
serve_pids+=("$sim_pid")
soak_table="soak-$$-$RANDOM"
soak_env=(TABLE_NAME="$soak_table" SEARCH_QUERIES=cricket YOUTUBE_API_KEYS=sim-key-1
  YOUTUBE_API_BASE_URL="$sim/youtube/v3" YOUTUBE_DAILY_CALLS_PER_KEY=1000000
  FETCH_BACKFILL_PAGES=10 AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn)
env "${soak_env[@]}" "$target/release/tubefeed" table create >/dev/null
env "${soak_env[@]}" "$target/release/tubefeed" fetch >/dev/null
serve_table 1 "$soak_table"
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

# Import through the CLI: 500 videos exported from the first API bench table, imported into
# fresh tables with 1 and more batch requests in flight, on bare DynamoDB Local and through a
# proxy that adds 10 ms to every request (an in-region round trip on AWS).
first_table=$(awk 'NR==1 {print $2}' "$run/bench-tables")
api_env=(SEARCH_QUERIES=cricket AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn)
env "${api_env[@]}" TABLE_NAME="$first_table" "$target/release/tubefeed" export --topic cricket >"$run/export-all.jsonl"
head -n 500 "$run/export-all.jsonl" >"$run/import-500.jsonl"
"$target/release/latency-proxy" "127.0.0.1:$ddb_port" 10 >"$run/latency-proxy.addr" &
serve_pids+=($!)
wait_until 10 "the latency proxy" - test -s "$run/latency-proxy.addr"
proxy_url="http://$(cat "$run/latency-proxy.addr")"
echo
echo "## Import: tubefeed import of 500 videos (JSON Lines) into a new table"
echo
echo "| DynamoDB | DYNAMODB_MAX_INFLIGHT | seconds | videos/s | speed-up |"
echo "|---|---:|---:|---:|---:|"
for endpoint in "Local, bare|$TUBEFEED_TEST_DYNAMODB" "Local + 10 ms per request|$proxy_url"; do
  label=${endpoint%%|*}; url=${endpoint#*|}; first=""
  for inflight in 1 4 8 16; do
    table="import-$$-$RANDOM"
    env "${api_env[@]}" TABLE_NAME="$table" AWS_ENDPOINT_URL_DYNAMODB="$url" "$target/release/tubefeed" table create >/dev/null
    t0=$(date +%s.%N)
    env "${api_env[@]}" TABLE_NAME="$table" AWS_ENDPOINT_URL_DYNAMODB="$url" DYNAMODB_MAX_INFLIGHT=$inflight \
      "$target/release/tubefeed" import --topic cricket "$run/import-500.jsonl" >"$run/import-$inflight.json"
    t1=$(date +%s.%N)
    grep -q '"new":500' "$run/import-$inflight.json" || { echo "bench: import did not store 500 videos" >&2; cat "$run/import-$inflight.json" >&2; exit 1; }
    rate=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 500 / (b - a) }')
    [ -z "$first" ] && first=$rate
    awk -v l="$label" -v n="$inflight" -v a="$t0" -v b="$t1" -v r="$rate" -v f="$first" \
      'BEGIN { printf "| %s | %d | %.2f | %d | %.1f× |\n", l, n, b - a, r, r / f }'
  done
done

# Cold start: each bootstrap started 20 times (after one untimed start) by a local Lambda
# Runtime API; ready = exec → first GET /runtime/invocation/next, first answer = exec → its
# response. The functions run against the soak's table and simulator.
echo
echo "## Cold start: exec → ready (first /next) and → first answer, median of 20 starts, local Runtime API"
echo
echo "| function | TLS roots | ready | × bare | first answer | peak RSS | bootstrap |"
echo "|---|---|---:|---:|---:|---:|---:|"
rm -f "$run/coldstart.jsonl"
cold() { # label bin event roots [expect_status]
  local extra=(); [ -n "${5:-}" ] && extra=(--expect-status "$5")
  env "${soak_env[@]}" PAGE_TOKEN_SECRET=bench-secret-0123456789-0123456789 API_SEARCH_PER_SECOND=0 TLS_ROOTS="$4" \
    "$target/release/coldstart" --runs 20 --label "$1" --event "$3" "${extra[@]}" "$target/release/$2" |
    python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["roots"]=sys.argv[1]; print(json.dumps(d))' "$4" \
    >>"$run/coldstart.jsonl"
}
cold "bare lambda_runtime echo" lambda-echo events/scheduled.json builtin
for roots in builtin system; do
  cold videos-api videos-api events/api-videos.json "$roots" 200
  cold fetch-videos fetch-videos events/scheduled.json "$roots"
done
python3 - "$run/coldstart.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bare = rows[0]["ready_ms"]["median"]
for r in rows:
    roots = "—" if r["label"].startswith("bare") else r["roots"]
    print(f'| {r["label"]} | {roots} | {r["ready_ms"]["median"]:.1f} ms | {r["ready_ms"]["median"] / bare:.2f} '
          f'| {r["first_answer_ms"]["median"]:.1f} ms | {r["peak_rss_kb"]["median"] / 1024:.1f} MB '
          f'| {r["bytes"] / 1e6:.2f} MB |')
PY
echo
echo "x86_64 release builds on this machine; sam build makes the arm64 bootstraps (make test prints their sizes)."

exec >&3 3>&-
wait "$tee_pid" 2>/dev/null || true
python3 scripts/bench-summary.py "$bench_dir/bench.md" "$bench_dir/figures.json"
