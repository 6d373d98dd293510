#!/usr/bin/env bash
# `make check`: the minute-to-minute loop. Formatting, clippy with warnings as errors, and every
# test that needs no service: unit tests, the fetch scenarios and the store contract on the
# in-memory fakes, the API's edge and property tests, the simulator and the YouTube adapter
# (against the simulator in-process). No Java, no DynamoDB Local, no network. `make test` runs all.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The integration test files that start no local AWS service (the others need `make test`).
fast=(--lib --bins)
for f in crates/*/tests/*.rs functions/*/tests/*.rs cli/tests/*.rs; do
  grep -q "tubefeed_testkit" "$f" && continue
  pkg=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$(dirname "$(dirname "$f")")/Cargo.toml" | head -n 1)
  fast+=(-p "$pkg" --test "$(basename "$f" .rs)")
done
cargo test --locked -q "${fast[@]}"
say "fast tests passed in ${SECONDS}s"
