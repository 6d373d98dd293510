#!/usr/bin/env bash
# `make dev`: the whole system locally in one command.
#   DynamoDB Local (data kept in .local/dev-ddb), the table, the YouTube simulator (or real
#   YouTube when YOUTUBE_API_KEYS is set), both Lambdas under `cargo lambda watch`, a fetch
#   every few seconds, and the URLs. Ctrl-C (or SIGTERM, or the terminal closing) stops everything
#   it started, also when Ctrl-C is pressed again while it stops.
# Ports: DDB_PORT (8000), SIM_PORT (8085), LAMBDA_PORT (9000); FETCH_EVERY seconds (10).
# Every server binds 127.0.0.1 (DynamoDB Local has no bind option; it is reached on 127.0.0.1).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"

DDB_PORT=${DDB_PORT:-8000}
SIM_PORT=${SIM_PORT:-8085}
LAMBDA_PORT=${LAMBDA_PORT:-9000}
FETCH_EVERY=${FETCH_EVERY:-10}
SEARCH_QUERIES=${SEARCH_QUERIES:-cricket}

scripts/bootstrap.sh services lambda
export PATH="$venv:$PATH"
# One checkout runs one `make dev` (its ports are fixed): its state folder has a fixed name.
export TUBEFEED_RUN_DIR="$root/.local/run/dev"
run=$TUBEFEED_RUN_DIR
mkdir -p "$run"

pids=()
# The current wait's job (a sleep or a fetch): bash runs a trap only once its foreground command
# has ended, so everything slow runs as a job that `wait` waits for, which a signal interrupts.
wait_pid=""
cleanup() {
  # Stopping must finish even when Ctrl-C is pressed again or the terminal goes away meanwhile:
  # ignore those signals from here on. Messages may have nowhere to go (a closed terminal).
  trap '' INT TERM HUP
  trap - EXIT
  echo "dev: stopping" >&2 || true
  [ -n "$wait_pid" ] && { kill -TERM -- "-$wait_pid" 2>/dev/null || kill -TERM "$wait_pid" 2>/dev/null || true; }
  for p in "${pids[@]}"; do
    # Each background job leads its own process group: end the whole group (cargo lambda
    # watch runs the functions as children).
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$p" 2>/dev/null || true
  done
  scripts/services.sh stop ddb || true
  echo "dev: stopped" >&2 || true
}
trap cleanup EXIT
# Each stop signal first ignores the others: `make` forwards the TERM that the process group
# already got, and a second TERM arriving after `exit` started the EXIT trap but before the
# trap's own `trap ''` ran the TERM trap again inside it — `exit` there ends the shell at once,
# without a word and with everything still running (dev-smoke's term case, 1 run in 2).
trap 'trap "" INT TERM HUP; exit 130' INT
trap 'trap "" INT TERM HUP; exit 143' TERM
trap 'trap "" INT TERM HUP; exit 129' HUP

# Background jobs in their own process groups, so cleanup can end their children too.
set -m

scripts/services.sh start-ddb "$DDB_PORT" "$root/.local/dev-ddb"
echo "dev: DynamoDB Local on http://127.0.0.1:$DDB_PORT (data in .local/dev-ddb)" >&2

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DDB_PORT" AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test TABLE_NAME=${TABLE_NAME:-tubefeed} SEARCH_QUERIES
unset AWS_PROFILE YOUTUBE_API_KEYS_SECRET_ID PAGE_TOKEN_SECRET_ID || true

cargo build -q -p tubefeed -p youtube-sim
"$target/debug/tubefeed" table create >&2

if [ -n "${YOUTUBE_API_KEYS:-}" ]; then
  export YOUTUBE_API_BASE_URL=${YOUTUBE_API_BASE_URL:-https://www.googleapis.com/youtube/v3}
  echo "dev: using real YouTube at $YOUTUBE_API_BASE_URL with your YOUTUBE_API_KEYS" >&2
else
  export YOUTUBE_API_BASE_URL="http://127.0.0.1:$SIM_PORT/youtube/v3" YOUTUBE_API_KEYS=sim-key-1,sim-key-2
  "$target/debug/youtube-sim" --port "$SIM_PORT" --topics "$SEARCH_QUERIES" --rate-per-minute 12 \
    --keys "$YOUTUBE_API_KEYS" --daily-calls-per-key 100000 >"$run/sim.log" 2>&1 &
  pids+=($!)
  wait_until 30 "the YouTube simulator" "$run/sim.log" http_ok "http://127.0.0.1:$SIM_PORT/_sim/state"
  echo "dev: YouTube simulator on $YOUTUBE_API_BASE_URL" >&2
fi

# The functions' settings, one list for both files below.
YOUTUBE_DAILY_CALLS_PER_KEY=${YOUTUBE_DAILY_CALLS_PER_KEY:-100000}
# The planner paces for the loop below, as a deployment's for its schedule.
# shellcheck disable=SC2034 # read through ${!v} below
FETCH_SCHEDULE="rate(${FETCH_EVERY} seconds)"
PAGE_TOKEN_SECRET=${PAGE_TOKEN_SECRET:-tubefeed-local-development-secret}
RUST_LOG=${RUST_LOG:-info}
settings=(TABLE_NAME SEARCH_QUERIES YOUTUBE_API_BASE_URL YOUTUBE_API_KEYS AWS_ENDPOINT_URL_DYNAMODB AWS_REGION
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY YOUTUBE_DAILY_CALLS_PER_KEY FETCH_SCHEDULE PAGE_TOKEN_SECRET RUST_LOG)

# Real keys may be in these files: readable by us only, from the moment they exist. A file left
# by an older version may be world-readable, and truncating keeps its mode: make them anew.
private_file() {
  rm -f "$1"
  (umask 077; : >"$1")
  [ "$(stat -c %a "$1")" = 600 ] || die "could not make $1 private"
}
# For cargo lambda watch, in dotenv syntax: single-quoted, so spaces, parentheses and `$` stay
# literal (an unquoted `rate(3 seconds)` made cargo lambda refuse the whole file).
env_file="$run/dev.env"
private_file "$env_file"
for v in "${settings[@]}"; do
  case "${!v}" in *"'"* | *$'\n'*) die "$v must not contain a single quote or a newline" ;; esac
  printf "%s='%s'\n" "$v" "${!v}"
done >"$env_file"
# The same settings for a shell (`. .local/run/dev/env.sh`, then `cargo run -p tubefeed -- status`).
shell_env="$run/env.sh"
private_file "$shell_env"
for v in "${settings[@]}"; do
  printf 'export %s=%q\n' "$v" "${!v}"
done >"$shell_env"

cargo lambda watch -A 127.0.0.1 -P "$LAMBDA_PORT" --env-file "$env_file" >"$run/watch.log" 2>&1 &
pids+=($!)

api="http://127.0.0.1:$LAMBDA_PORT/lambda-url/videos-api"
echo "dev: building and starting the functions (first build takes a few minutes; log: .local/run/dev/watch.log)" >&2
wait_until 1200 "the API function under cargo lambda watch" "$run/watch.log" http_ok "$api/health"

fetch_once() {
  cargo lambda invoke fetch-videos --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
    --data-file "$root/events/scheduled.json" >>"$run/fetch.log" 2>&1 &
  wait_pid=$!
  wait "$wait_pid" || echo "dev: a fetch failed; see .local/run/dev/fetch.log" >&2
}
# The URLs first: the first fetch stores a whole history (with the data on disk, DynamoDB Local
# takes a minute or two over it), and the API serves each page of it as soon as it is stored.
echo "dev: API       $api/videos"
echo "dev: dashboard $api/"
echo "dev: first fetch running (a minute or two); videos appear as it stores them"
fetch_once
echo "dev: fetching every ${FETCH_EVERY}s; Ctrl-C stops everything"
while true; do
  sleep "$FETCH_EVERY" &
  wait_pid=$!
  wait "$wait_pid" || true
  fetch_once
done
