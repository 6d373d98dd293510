#!/usr/bin/env bash
# Browser tests of the dashboard: the simulator, `tubefeed fetch` and `tubefeed serve` (real
# binaries, debug build) on DynamoDB Local, then Debian's headless Chromium through playwright-core
# and axe-core (tests/browser/dashboard.mjs, one line per named test).
#
#   scripts/browser-test.sh           run the tests; screenshots go to target/screenshots/
#   scripts/browser-test.sh --serve   seed the same data, serve it and wait (Ctrl-C stops all)
#
# Needs TUBEFEED_TEST_DYNAMODB (scripts/test.sh sets it). Installs Debian's chromium and the Noto
# fonts (so Hindi, Japanese and Arabic titles are legible in screenshots) when they are missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${TUBEFEED_TEST_DYNAMODB:?set by scripts/test.sh}"
mode="${1:-test}"
run="$root/.local/run"; mkdir -p "$run"
started=$(date +%s)

fonts_missing() {
  local fonts; fonts=$(fc-list 2>/dev/null || true)
  for f in "Noto Sans CJK" "Noto Sans Devanagari" "Noto Naskh Arabic" "Noto Color Emoji"; do
    [[ "$fonts" == *"$f"* ]] || return 0
  done
  return 1
}
if ! command -v chromium >/dev/null 2>&1 || fonts_missing; then
  echo "browser-test: installing Debian's chromium and Noto fonts" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-core fonts-noto-cjk \
    fonts-noto-color-emoji >/dev/null
fi
browser="$root/.local/browser"
if ! cmp -s tests/browser/package.json "$browser/package.json" || [ ! -d "$browser/node_modules/axe-core" ]; then
  mkdir -p "$browser"
  cp tests/browser/package.json "$browser/"
  (cd "$browser" && npm install --no-audit --no-fund --silent >/dev/null)
fi

target="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p tubefeed -p youtube-sim
pids=()
profile_tmp=$(mktemp -d "${TMPDIR:-/tmp}/tubefeed-browser.XXXXXX")
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$profile_tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port() { scripts/services.sh free-port; }

sim_port=$(port)
"$target/debug/youtube-sim" --port "$sim_port" --topics cricket,chess --rate-per-minute 0 --backfill-minutes 0 \
  --keys sim-key-1 --daily-calls-per-key 100000 >"$run/browser-sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$sim_port/_sim/state" >/dev/null 2>&1 && break; sleep 0.1; done
sim="http://127.0.0.1:$sim_port"

# The data: 60 cricket videos of the last hour, then the ones the tests look for — a search target, a title
# that looks like markup, Arabic (right-to-left channel), Hindi and Japanese titles, a live and an
# upcoming broadcast, a thumbnail that will fail, an unbreakable long title, three old videos for
# the date filter, and a second topic.
curl -fsS -X POST "$sim/_sim/burst" -H 'content-type: application/json' \
  -d '{"topic":"cricket","count":60,"spacing_seconds":60}' >/dev/null
now=$(curl -fsS "$sim/_sim/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
python3 - "$now" >"$run/browser-videos.jsonl" <<'EOF'
import datetime as dt, json, sys
now = dt.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
def at(minutes): return (now - dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
rows = [
  dict(topic="cricket", published_at=at(2), title="ملخص مباراة الكريكيت اليوم", channel_title="الرياضة اليوم"),
  dict(topic="cricket", published_at=at(3), title="भारत बनाम ऑस्ट्रेलिया: मैच की मुख्य बातें", channel_title="खेल समाचार"),
  dict(topic="cricket", published_at=at(4), title="東京の夜 クリケット観戦ガイド", channel_title="スポーツ東京"),
  dict(topic="cricket", published_at=at(5), title="LIVE: India vs England, day 2", live="live", channel_title="Cricket Live"),
  dict(topic="cricket", published_at=at(6), title="Upcoming: final preview show", live="upcoming", channel_title="Cricket Live"),
  dict(topic="cricket", published_at=at(7), title="How to make tea?", channel_title="Tea Time Cricket"),
  dict(topic="cricket", published_at=at(8), title="<img src=x onerror=pwned()> & \"quotes\" 'n' cricket"),
  dict(topic="cricket", published_at=at(9), title="Thumbnail that cannot load", channel_title="Broken Pictures"),
  dict(topic="cricket", published_at=at(10), title="Wicketkeeping" * 8),
  dict(topic="cricket", published_at=at(20), title="تحليل الأداء بعد المباراة", channel_title="الرياضة اليوم"),
  dict(topic="cricket", published_at=at(3 * 1440), title="Archive: the 1983 final", channel_title="Archive Cricket"),
  dict(topic="cricket", published_at=at(4 * 1440), title="Archive: spin bowling masterclass", channel_title="Archive Cricket"),
  dict(topic="cricket", published_at=at(5 * 1440), title="Archive: the oldest video here", channel_title="Archive Cricket"),
  dict(topic="chess", published_at=at(2), title="Carlsen wins the blitz final", channel_title="Chess Daily"),
  dict(topic="chess", published_at=at(30), title="Opening traps every beginner should know", channel_title="Chess Daily"),
  dict(topic="chess", published_at=at(60), title="Endgame study: king and pawn", channel_title="Chess Daily"),
]
for r in rows: print(json.dumps(r, ensure_ascii=False))
EOF
while IFS= read -r body; do
  curl -fsS -X POST "$sim/_sim/videos" -H 'content-type: application/json' --data-binary "$body" >/dev/null
done <"$run/browser-videos.jsonl"

# FETCH_LOOKBACK_MINUTES=0: no late sweep, so the fetch the test runs mid-way polls at once.
export TABLE_NAME="browser-$$-$RANDOM" SEARCH_QUERIES=cricket,chess YOUTUBE_API_KEYS=sim-key-1 \
  YOUTUBE_API_BASE_URL="$sim/youtube/v3" YOUTUBE_DAILY_CALLS_PER_KEY=100000 FETCH_BACKFILL_PAGES=5 FETCH_LOOKBACK_MINUTES=0 \
  PAGE_TOKEN_SECRET=browser-test-secret-0123456789-0123456 API_SEARCH_PER_SECOND=0 AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" \
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn
unset AWS_PROFILE YOUTUBE_API_KEYS_SECRET_ID PAGE_TOKEN_SECRET_ID || true
"$target/debug/tubefeed" table create >/dev/null
"$target/debug/tubefeed" fetch >"$run/browser-fetch.json"
python3 - "$run/browser-fetch.json" <<'EOF' || { echo "browser-test: the first fetch did not store the data:" >&2; cat "$run/browser-fetch.json" >&2; exit 1; }
import json, sys
s = json.load(open(sys.argv[1]))
new = {t["topic"]: t["new"] for t in s["topics"]}
sys.exit(0 if s["ok"] and new == {"cricket": 73, "chess": 3} else 1)
EOF

"$target/debug/tubefeed" serve --addr 127.0.0.1:0 2>"$run/browser-serve.log" &
pids+=($!)
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^tubefeed: serving on //p' "$run/browser-serve.log"); [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { echo "browser-test: tubefeed serve did not start" >&2; cat "$run/browser-serve.log" >&2; exit 1; }

if [ "$mode" = "--serve" ]; then
  echo "browser-test: dashboard $url/  (simulator $sim; add videos with POST $sim/_sim/videos, then"
  echo "browser-test: run $target/debug/tubefeed fetch with TABLE_NAME=$TABLE_NAME). Ctrl-C stops everything."
  wait "${pids[@]}"
  exit 0
fi

# The test needs the simulator and the fetcher too: it adds videos and fetches them mid-test.
cp tests/browser/dashboard.mjs "$browser/dashboard.mjs"
mkdir -p "$root/target/screenshots"
status=0
SIM_URL="$sim" TUBEFEED_BIN="$target/debug/tubefeed" SCREENSHOTS="$root/target/screenshots" TMPDIR="$profile_tmp" \
  node "$browser/dashboard.mjs" "$url" || status=$?
echo "browser-test: $(( $(date +%s) - started )) s in all" >&2
exit $status
