#!/usr/bin/env bash
# `make test`: every test from a fresh clone. Installs what is missing, starts DynamoDB Local
# and a local Secrets Manager (moto) on free loopback ports, runs the checks and the tests,
# and stops the services whatever happens.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/bootstrap.sh

cleanup() {
  scripts/services.sh stop ddb || true
  scripts/services.sh stop moto || true
}
trap cleanup EXIT INT TERM

ddb_port=$(scripts/services.sh free-port)
scripts/services.sh start-ddb "$ddb_port"
moto_port=$(scripts/services.sh free-port)
scripts/services.sh start-moto "$moto_port"
export TUBEFEED_TEST_DYNAMODB="http://127.0.0.1:$ddb_port"
export TUBEFEED_TEST_SECRETS_MANAGER="http://127.0.0.1:$moto_port"
echo "test: DynamoDB Local on 127.0.0.1:$ddb_port, moto on 127.0.0.1:$moto_port" >&2

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cfn-lint" >&2
if command -v cfn-lint >/dev/null 2>&1; then cfn-lint template.yaml; else .local/venv/bin/cfn-lint template.yaml; fi
echo "== cargo test" >&2
cargo test --workspace --locked
