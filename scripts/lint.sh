#!/usr/bin/env bash
# `make lint`: formatting, clippy with warnings as errors, shellcheck on every script, and the
# size rules (no non-test function over 80 lines, no non-test file over 500: scripts/sizes.py).
# `--clippy-in-build`: all but clippy, for a caller whose builds run clippy themselves
# (scripts/test.sh).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
case "${1:-}" in
  "") clippy=1 ;;
  --clippy-in-build) clippy="" ;;
  *) die "usage: lint.sh [--clippy-in-build]" ;;
esac
scripts/bootstrap.sh lint
cargo fmt --all -- --check
[ -z "$clippy" ] || cargo clippy --workspace --all-targets --locked -- -D warnings
"$venv/shellcheck" -x scripts/*.sh .ci/run
python3 scripts/sizes.py
