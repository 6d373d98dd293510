#!/usr/bin/env bash
# `make test`: every test from a fresh clone. Installs what is missing, starts DynamoDB Local
# and a local Secrets Manager (moto) on free loopback ports, runs the checks and the tests,
# and stops the services whatever happens.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/bootstrap.sh --lambda
venv="$root/.local/venv/bin"

cleanup() {
  scripts/services.sh stop ddb || true
  scripts/services.sh stop moto || true
}
trap cleanup EXIT
# Stop here on Ctrl-C or SIGTERM (cleanup runs on the way out) instead of going on without services.
trap 'exit 130' INT
trap 'exit 143' TERM

ddb_port=$(scripts/services.sh free-port)
scripts/services.sh start-ddb "$ddb_port"
moto_port=$(scripts/services.sh free-port)
scripts/services.sh start-moto "$moto_port"
export TUBEFEED_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export TUBEFEED_TEST_SECRETS_MANAGER="http://127.0.0.1:$moto_port"
echo "test: DynamoDB Local on 127.0.0.1:$ddb_port, moto on 127.0.0.1:$moto_port" >&2

echo "== cargo fmt --check (at ${SECONDS}s)" >&2
cargo fmt --all -- --check
echo "== cargo clippy (at ${SECONDS}s)" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo deny: licences, bans, sources (at ${SECONDS}s)" >&2
.local/tools/bin/cargo-deny --log-level error check licenses bans sources
echo "== cfn-lint, sam validate --lint (at ${SECONDS}s)" >&2
"$venv/cfn-lint" template.yaml
SAM_CLI_TELEMETRY=0 "$venv/sam" validate --lint --region us-east-1
echo "== cargo test (at ${SECONDS}s)" >&2
cargo test --workspace --locked

echo "== schemathesis against tubefeed serve (all checks, fixed seed) (at ${SECONDS}s)" >&2
scripts/schemathesis.sh

echo "== dashboard in headless Chromium (at ${SECONDS}s)" >&2
scripts/browser-test.sh

echo "== sam build (offline, both functions for arm64) (at ${SECONDS}s)" >&2
# cargo-lambda finds Zig through `python3 -m ziglang`: the venv's python must come first.
rm -rf .aws-sam/build
PATH="$venv:$PATH" SAM_CLI_TELEMETRY=0 "$venv/sam" build --region us-east-1 >.local/run/sam-build.log 2>&1 ||
  { tail -n 40 .local/run/sam-build.log >&2; exit 1; }
for fn in FetchVideosFunction VideosApiFunction; do
  f=".aws-sam/build/$fn/bootstrap"
  [ -x "$f" ] || { echo "sam build produced no $f" >&2; exit 1; }
  head -c 20 "$f" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c46020101.*b700' ||
    { echo "$f is not an arm64 ELF executable" >&2; exit 1; }
  echo "sam build: $f ($(stat -c %s "$f") bytes, arm64)" >&2
done

echo "== make dev from a clean clone (headless) (at ${SECONDS}s)" >&2
# With the stop signals ignored by the caller, as under nohup or as a background job: the smoke
# test must set up a terminal's signals itself (an inherited ignored SIGHUP once made the hup
# case fail one CI run in three).
for mode in term int-twice hup; do
  (trap '' HUP INT TERM QUIT; exec scripts/dev-smoke.sh "$mode")
done
echo "== make test passed in ${SECONDS}s" >&2
