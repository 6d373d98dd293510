#!/usr/bin/env bash
# `make lint`: formatting, clippy with warnings as errors, shellcheck on every script, and the
# size rules (no non-test function over 80 lines, no non-test file over 500: scripts/sizes.py).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
scripts/bootstrap.sh lint
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
"$venv/shellcheck" -x scripts/*.sh .ci/run
python3 scripts/sizes.py
