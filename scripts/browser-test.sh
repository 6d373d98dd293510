#!/usr/bin/env bash
# Browser test of the dashboard: the simulator, `tubefeed fetch` and `tubefeed serve` (real
# binaries, debug build) on DynamoDB Local, then headless Chromium through playwright-core.
# Needs TUBEFEED_TEST_DYNAMODB (scripts/test.sh sets it). Installs Debian's chromium if missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${TUBEFEED_TEST_DYNAMODB:?set by scripts/test.sh}"
run="$root/.local/run"; mkdir -p "$run"

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser-test: installing Debian's chromium" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d "$root/.local/browser/node_modules/playwright-core" ]; then
  mkdir -p "$root/.local/browser"
  cp tests/browser/package.json "$root/.local/browser/"
  (cd "$root/.local/browser" && npm install --no-audit --no-fund --silent >/dev/null)
fi

target="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p tubefeed -p youtube-sim
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
port() { scripts/services.sh free-port; }

sim_port=$(port)
"$target/debug/youtube-sim" --port "$sim_port" --topics cricket --rate-per-minute 0 --backfill-minutes 0 \
  --keys sim-key-1 --daily-calls-per-key 100000 >"$run/browser-sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$sim_port/_sim/state" >/dev/null 2>&1 && break; sleep 0.1; done
sim="http://127.0.0.1:$sim_port"
curl -fsS -X POST "$sim/_sim/burst" -H 'content-type: application/json' -d '{"topic":"cricket","count":60,"spacing_seconds":30}' >/dev/null
for title in 'How to make tea? cricket' '<img src=x onerror=pwned()> cricket'; do
  body=$(python3 -c 'import json,sys; print(json.dumps({"topic":"cricket","title":sys.argv[1]}))' "$title")
  curl -fsS -X POST "$sim/_sim/videos" -H 'content-type: application/json' -d "$body" >/dev/null
done

export TABLE_NAME="browser-$$-$RANDOM" SEARCH_QUERIES=cricket YOUTUBE_API_KEYS=sim-key-1 \
  YOUTUBE_API_BASE_URL="$sim/youtube/v3" YOUTUBE_DAILY_CALLS_PER_KEY=100000 FETCH_BACKFILL_PAGES=5 \
  PAGE_TOKEN_SECRET=browser-test-secret-0123456789 AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" \
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn
unset AWS_PROFILE YOUTUBE_API_KEYS_SECRET_ID PAGE_TOKEN_SECRET_ID || true
"$target/debug/tubefeed" table create >/dev/null
"$target/debug/tubefeed" fetch >"$run/browser-fetch.json"
grep -q '"new":62' "$run/browser-fetch.json" || { echo "browser-test: fetch did not store 62 videos:" >&2; cat "$run/browser-fetch.json" >&2; exit 1; }

"$target/debug/tubefeed" serve --addr 127.0.0.1:0 2>"$run/browser-serve.log" &
pids+=($!)
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^tubefeed: serving on //p' "$run/browser-serve.log"); [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { echo "browser-test: tubefeed serve did not start" >&2; cat "$run/browser-serve.log" >&2; exit 1; }

cp tests/browser/dashboard.mjs "$root/.local/browser/dashboard.mjs"
node "$root/.local/browser/dashboard.mjs" "$url" "$run/dashboard.png"
