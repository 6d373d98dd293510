#!/usr/bin/env bash
# Schemathesis against a running `tubefeed serve`, from the API's own /openapi.json, with every
# check. Deterministic (fixed seed) and bounded (examples per operation, and a time limit).
# Needs TUBEFEED_TEST_DYNAMODB (scripts/test.sh sets it); installs schemathesis into .local/venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${TUBEFEED_TEST_DYNAMODB:?set by scripts/test.sh}"
run="$root/.local/run"; mkdir -p "$run"
venv="$root/.local/venv/bin"
if [ ! -x "$venv/st" ]; then
  echo "schemathesis: installing schemathesis into .local/venv" >&2
  "$venv/pip" install --quiet "schemathesis>=4,<5"
fi
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p tubefeed
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT

export TABLE_NAME="st-$$-$RANDOM" SEARCH_QUERIES=cricket,football PAGE_TOKEN_SECRET=schemathesis-secret-0123456789-0123456 API_SEARCH_PER_SECOND=0 \
  AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test \
  AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn API_CACHE_SECONDS=0
unset AWS_PROFILE PAGE_TOKEN_SECRET_ID || true
"$target/debug/tubefeed" table create >/dev/null
# Responses are only checked against their schema where there is something to return: 260
# videos in two topics, with Hindi, Arabic, Japanese, Thai, emoji, right-to-left and
# HTML-looking text, live and upcoming ones, more than a page each.
"$target/debug/tubefeed" import "$root/tests/fixtures/multilingual.jsonl" >/dev/null
"$target/debug/tubefeed" serve --addr 127.0.0.1:0 </dev/null >/dev/null 2>"$run/st-serve.log" &
pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^tubefeed: serving on //p' "$run/st-serve.log"); [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { echo "schemathesis: tubefeed serve did not start" >&2; cat "$run/st-serve.log" >&2; exit 1; }

start=$(date +%s)
# Run where its cache of earlier failures cannot leak into the repository or into the next run.
rm -rf "$run/st" && mkdir -p "$run/st" && cd "$run/st"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/tests/schemathesis" \
  timeout 600 "$venv/st" run "$url/openapi.json" --url "$url" --checks all \
  --max-examples "${ST_MAX_EXAMPLES:-60}" --seed 20261124 --no-color >"$run/schemathesis.log" 2>&1 ||
  { tail -n 80 "$run/schemathesis.log" >&2; echo "schemathesis: failures (log: $run/schemathesis.log)" >&2; exit 1; }
grep -E "test cases|generated|passed|failures" "$run/schemathesis.log" | tail -n 3 >&2 || true
echo "schemathesis: zero failures in $(( $(date +%s) - start )) s" >&2
