#!/usr/bin/env bash
# Browser tests of the dashboard: the simulator, `tubefeed fetch` and `tubefeed serve` (real
# binaries, debug build) on DynamoDB Local, then Debian's headless Chromium through playwright-core
# and axe-core (tests/browser/dashboard.mjs, one line per named test).
#
#   scripts/browser-test.sh           run the tests; screenshots go to target/screenshots/
#   scripts/browser-test.sh --serve   seed the same data, serve it and wait (Ctrl-C stops all)
#
# Needs TUBEFEED_TEST_DYNAMODB (scripts/test.sh sets it); chromium, the Noto fonts and the npm
# packages come from `scripts/bootstrap.sh browser`.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
: "${TUBEFEED_TEST_DYNAMODB:?set by scripts/test.sh}"
mode="${1:-test}"
scripts/bootstrap.sh browser
browser="$root/.local/browser"
run=$(new_run_dir browser)
started=$(date +%s)

cargo build -q -p tubefeed -p youtube-sim
sim_pid="" serve_pid=""
profile_tmp=$(mktemp -d "${TMPDIR:-/tmp}/tubefeed-browser.XXXXXX")
# shellcheck disable=SC2329 # called by the EXIT trap
cleanup() {
  for p in "$sim_pid" "$serve_pid"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
  rm -rf "$profile_tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_sim "$target/debug/youtube-sim" "$run/sim.log" --topics cricket,chess --rate-per-minute 0 --backfill-minutes 0 \
  --keys sim-key-1 --daily-calls-per-key 100000

# The data: 60 cricket videos of the last hour, then the ones the tests look for — a search target, a title
# that looks like markup, Arabic (right-to-left channel), Hindi and Japanese titles, a live and an
# upcoming broadcast, a Short and two videos of known length and language, a thumbnail that will fail, an unbreakable long title, three old videos for
# the date filter, and a second topic.
curl -fsS -X POST "$sim/_sim/burst" -H 'content-type: application/json' \
  -d '{"topic":"cricket","count":60,"spacing_seconds":60}' >/dev/null
now=$(curl -fsS "$sim/_sim/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
python3 - "$now" >"$run/videos.jsonl" <<'EOF'
import datetime as dt, json, sys
now = dt.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
def at(minutes): return (now - dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
rows = [
  dict(topic="cricket", published_at=at(2), title="ملخص مباراة الكريكيت اليوم", channel_title="الرياضة اليوم"),
  dict(topic="cricket", published_at=at(3), title="भारत बनाम ऑस्ट्रेलिया: मैच की मुख्य बातें", channel_title="खेल समाचार",
       duration_seconds=1500, shape="landscape", audio_language="hi-IN"),
  dict(topic="cricket", published_at=at(4), title="東京の夜 クリケット観戦ガイド", channel_title="スポーツ東京"),
  dict(topic="cricket", published_at=at(5), title="LIVE: India vs England, day 2", live="live", channel_title="Cricket Live"),
  dict(topic="cricket", published_at=at(6), title="Upcoming: final preview show", live="upcoming", channel_title="Cricket Live"),
  dict(topic="cricket", published_at=at(7), title="How to make tea?", channel_title="Tea Time Cricket",
       duration_seconds=754, shape="landscape", audio_language="en-GB"),
  dict(topic="cricket", published_at=at(11), title="Slip catch in slow motion #shorts", channel_title="Cricket Clips",
       duration_seconds=42, shape="portrait", audio_language="en"),
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
done <"$run/videos.jsonl"

# FETCH_LOOKBACK_MINUTES=0: no late sweep, so the fetch the test runs mid-way polls at once.
export TABLE_NAME="browser-$$-$RANDOM" SEARCH_QUERIES=cricket,chess YOUTUBE_API_KEYS=sim-key-1 \
  YOUTUBE_API_BASE_URL="$sim/youtube/v3" YOUTUBE_DAILY_CALLS_PER_KEY=100000 FETCH_BACKFILL_PAGES=5 FETCH_LOOKBACK_MINUTES=0 \
  DETAILS_MAX_WAIT_SECONDS=0 \
  PAGE_TOKEN_SECRET=browser-test-secret-0123456789-0123456 API_SEARCH_PER_SECOND=0 AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" \
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn
unset AWS_PROFILE YOUTUBE_API_KEYS_SECRET_ID PAGE_TOKEN_SECRET_ID || true
"$target/debug/tubefeed" table create >/dev/null
"$target/debug/tubefeed" fetch >"$run/fetch.json"
python3 - "$run/fetch.json" <<'EOF' || { echo "browser-test: the first fetch did not store the data:" >&2; cat "$run/fetch.json" >&2; exit 1; }
import json, sys
s = json.load(open(sys.argv[1]))
new = {t["topic"]: t["new"] for t in s["topics"]}
details = s.get("details") or {}
sys.exit(0 if s["ok"] and new == {"cricket": 74, "chess": 3} and details.get("recorded") == 77 else 1)
EOF

start_serve "$target/debug/tubefeed" "$run/serve.log"
url=$base

if [ "$mode" = "--serve" ]; then
  echo "browser-test: dashboard $url/  (simulator $sim; add videos with POST $sim/_sim/videos, then"
  echo "browser-test: run $target/debug/tubefeed fetch with TABLE_NAME=$TABLE_NAME). Ctrl-C stops everything."
  wait "$sim_pid" "$serve_pid"
  exit 0
fi

# The test needs the simulator and the fetcher too: it adds videos and fetches them mid-test.
cp tests/browser/dashboard.mjs "$browser/dashboard.mjs"
mkdir -p "$root/target/screenshots"
status=0
SIM_URL="$sim" TUBEFEED_BIN="$target/debug/tubefeed" SCREENSHOTS="$root/target/screenshots" TMPDIR="$profile_tmp" \
  node "$browser/dashboard.mjs" "$url" || status=$?
say "$(($(date +%s) - started)) s in all"
[ "$status" != 0 ] || rm -rf "$run"
exit $status
