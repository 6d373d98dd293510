# Helpers every script sources: `. "$(dirname "$0")/lib.sh"`. Sets `root` (the checkout),
# `venv` (its Python tools), `target` (the cargo target directory) and `me` (the script's name
# for messages), and turns on strict mode.
# shellcheck shell=bash
# shellcheck disable=SC2034 # root, venv, target, serve_pid, base, sim_pid, sim are for the caller
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.local/venv/bin"
target="${CARGO_TARGET_DIR:-$root/target}"
me="$(basename "$0" .sh)"

say() { echo "$me: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# A free TCP port on loopback (the kernel picks it; it stays free unless someone races us).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A state folder of this run's own under .local/run (pid files, logs), so a `make test` and a
# `make bench` at once never stop each other's services. Prints its path.
new_run_dir() { # name
  mkdir -p "$root/.local/run"
  mktemp -d "$root/.local/run/$1.XXXXXX"
}

# Runs a check until it succeeds; after `seconds` fails loudly, naming what never got ready and,
# when given, the log to read. Never carries on silently.
wait_until() { # seconds what log|- command...
  local secs=$1 what=$2 logfile=$3 deadline
  shift 3
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "$what was not ready within ${secs}s"
      if [ "$logfile" != - ] && [ -f "$logfile" ]; then
        say "last lines of $logfile:"
        tail -n 30 "$logfile" >&2
      fi
      exit 1
    fi
    sleep 0.2
  done
}

http_ok() { curl -fsS --max-time 5 -o /dev/null "$1"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# True once `tubefeed serve` (or another server) has printed "PREFIX URL" into the log.
printed() { grep -q "^$2" "$1"; }
# The URL printed after PREFIX in a log (see `printed`).
printed_url() { sed -n "s/^$2 *//p" "$1" | head -n 1; }

# Starts `tubefeed serve` in the background with the caller's environment on a free loopback
# port; sets `serve_pid` and `base`. Not for $(...): the server would hold the substitution open.
start_serve() { # bin log [serve args...]
  local bin=$1 logfile=$2
  shift 2
  "$bin" serve --addr 127.0.0.1:0 "$@" </dev/null >/dev/null 2>"$logfile" &
  serve_pid=$!
  wait_until 30 "tubefeed serve" "$logfile" printed "$logfile" "tubefeed: serving on "
  base=$(printed_url "$logfile" "tubefeed: serving on ")
}

# Starts the YouTube simulator on a free port with the given arguments; sets `sim_pid` and `sim`.
start_sim() { # bin log [simulator args...]
  local bin=$1 logfile=$2 port
  shift 2
  port=$(free_port)
  "$bin" --port "$port" "$@" </dev/null >"$logfile" 2>&1 &
  sim_pid=$!
  sim="http://127.0.0.1:$port"
  wait_until 30 "the YouTube simulator" "$logfile" http_ok "$sim/_sim/state"
}
