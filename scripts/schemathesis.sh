#!/usr/bin/env bash
# Schemathesis against a running `tubefeed serve`, from the API's own /openapi.json, with every
# check. Deterministic (fixed seed) and bounded (examples per operation, and a time limit).
# Then the feeds as independent readers see them, on the same server and data
# (tests/feeds/check_feeds.py: feedparser, jsonfeed-util, jing with RFC 4287's schema).
# Needs TUBEFEED_TEST_DYNAMODB (scripts/test.sh sets it); schemathesis comes from bootstrap.sh.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
: "${TUBEFEED_TEST_DYNAMODB:?set by scripts/test.sh}"
scripts/bootstrap.sh test
run=$(new_run_dir schemathesis)
cargo build -q -p tubefeed
serve_pid=""
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true' EXIT

export TABLE_NAME="st-$$-$RANDOM" SEARCH_QUERIES=cricket,football PAGE_TOKEN_SECRET=schemathesis-secret-0123456789-0123456 API_SEARCH_PER_SECOND=0 \
  AWS_ENDPOINT_URL_DYNAMODB="$TUBEFEED_TEST_DYNAMODB" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test \
  AWS_SECRET_ACCESS_KEY=test RUST_LOG=warn API_CACHE_SECONDS=0
unset AWS_PROFILE PAGE_TOKEN_SECRET_ID || true
"$target/debug/tubefeed" table create >/dev/null
# Responses are only checked against their schema where there is something to return: 260
# videos in two topics, with Hindi, Arabic, Japanese, Thai, emoji, right-to-left and
# HTML-looking text, live and upcoming ones, more than a page each.
"$target/debug/tubefeed" import "$root/tests/fixtures/multilingual.jsonl" >/dev/null
start_serve "$target/debug/tubefeed" "$run/serve.log"

start=$(date +%s)
# Run where its cache of earlier failures cannot leak into the repository or into the next run.
mkdir -p "$run/st" && cd "$run/st"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/tests/schemathesis" \
  timeout 600 "$venv/st" run "$base/openapi.json" --url "$base" --checks all \
  --max-examples "${ST_MAX_EXAMPLES:-60}" --seed 20261124 --no-color >"$run/schemathesis.log" 2>&1 ||
  { tail -n 80 "$run/schemathesis.log" >&2; die "failures (log: $run/schemathesis.log)"; }
grep -E "test cases|generated|passed|failures" "$run/schemathesis.log" | tail -n 3 >&2 || true
say "zero failures in $(($(date +%s) - start)) s"
"$venv/python" "$root/tests/feeds/check_feeds.py" "$base" "$venv/pyjing" >&2 ||
  die "the feeds failed their independent checks (above)"
rm -rf "$run"
