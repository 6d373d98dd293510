#!/usr/bin/env bash
# Runs `make dev` headless from a clean clone of this repository, waits until it has started
# everything (and, in `term` mode, until the printed API URL serves videos), stops it, and checks
# that no process it started is left behind — once per mode given, in order, in one clone (the
# first run builds; the others reuse its build, so repeating a mode to prove it is cheap:
# `scripts/dev-smoke.sh $(printf 'hup %.0s' {1..20})`). Used by `make test`. Modes:
#   term       SIGTERM to the process group
#   int-twice  Ctrl-C, and Ctrl-C again while it is stopping (SIGINT to the group, twice)
#   hup        the terminal goes away (SIGHUP to the group)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
modes=("${@:-term}")
for m in "${modes[@]}"; do
  case "$m" in term | int-twice | hup) ;; *) die "usage: dev-smoke.sh [term|int-twice|hup]..." ;; esac
done
work=$(mktemp -d)
clone="$work/tubefeed"
git clone -q "$root" "$clone"
# Reuse this checkout's build directory: the clone is clean, its compiled dependencies need not be.
# Only when this checkout is HEAD: cargo names a workspace crate's artifacts by its path inside
# the workspace and checks them by the mtimes of its files there, so a clone of HEAD building into
# a dirty checkout's target/ leaves HEAD's code where the next build of the checkout takes it as
# up to date (seen: the working tree's new module "not found" after a smoke run). A dirty
# checkout's smoke runs build in a directory of their own.
if [ -z "$(git -C "$root" status --porcelain)" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  # The same files with the same times: cargo then takes what it built for this checkout as built
  # for the clone, and rebuilds exactly when it would rebuild here. With the clone's fresh times it
  # compiled every workspace crate again (about 100 s of `make test` on 2 cores, for identical
  # sources). Times copied, not made old: older than a stale build would run that build's code.
  while IFS= read -r -d '' f; do
    touch -h -r "$root/$f" "$clone/$f"
  done < <(git -C "$root" ls-files -z)
else
  export CARGO_TARGET_DIR="$root/target/dev-smoke"
fi
# The tools this checkout installed serve the clone too (each install takes a minute; a fresh
# clone's own bootstrap is what `make test` itself goes through on CI).
mkdir -p "$clone/.local"
for t in venv ddb; do
  if [ -e "$root/.local/$t" ]; then ln -s "$root/.local/$t" "$clone/.local/$t"; fi
done
# Wait for the whole process group, not just make: make exits on SIGTERM at once while
# dev.sh is still stopping what it started.
stop() {
  case "$mode" in
    term) kill -TERM -- "-$pgid" 2>/dev/null || true ;;
    hup) kill -HUP -- "-$pgid" 2>/dev/null || true ;;
    int-twice)
      kill -INT -- "-$pgid" 2>/dev/null || true
      for _ in $(seq 50); do grep -q "dev: stopping" "$log" && break; sleep 0.1; done
      kill -INT -- "-$pgid" 2>/dev/null || true
      ;;
  esac
  for _ in $(seq 300); do
    pgrep -g "$pgid" >/dev/null || break
    sleep 0.1
  done
}

# What `make dev` started and left running: found by the ports it was given, by the clone's path
# in their arguments, and (children started by relative paths, such as the functions cargo
# lambda runs) by a working directory inside the clone.
left_behind() {
  local left d cwd
  # shellcheck disable=SC2009 # pgrep cannot match several fixed strings in the arguments
  left=$(ps -eo pid=,args= | grep -F -e "$clone" -e "-port $DDB_PORT" -e "--port $SIM_PORT" -e "-P $LAMBDA_PORT" |
    grep -v -e grep -e dev-smoke || true)
  for d in /proc/[0-9]*; do
    cwd=$(readlink "$d/cwd" 2>/dev/null || true)
    case "$cwd" in "$clone"*) left+=$'\n'"${d#/proc/} $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)" ;; esac
  done
  sed '/^$/d' <<<"$left"
}

# A failed smoke test must not leave `make dev` running (one did, for 24 minutes, fetching every
# 3 s): whatever is still there on the way out is ended, gently, then not.
reap() {
  local pids
  pids=$({ ps -eo pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }'; left_behind | awk '{ print $1 }'; } | sort -u)
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086 # one pid a word
  kill -TERM $pids 2>/dev/null || true
  sleep 2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}
trap '[ -z "$pgid" ] || { stop; reap; }; rm -rf "$work"' EXIT
pgid=""

# One `make dev`, started, used and stopped.
smoke_once() {
  DDB_PORT=$(free_port) SIM_PORT=$(free_port) LAMBDA_PORT=$(free_port)
  export DDB_PORT SIM_PORT LAMBDA_PORT FETCH_EVERY=3
  log="$work/dev-$run.log"

  # A session of its own, as a terminal would give it, with every stop signal at its default. A
  # signal ignored when a shell starts cannot be trapped (POSIX), and whoever runs `make test` may
  # have ignored some: a shell's background jobs ignore SIGINT, a harness started with nohup
  # ignores SIGHUP. Inherited, that made `make dev` ignore this test's SIGHUP and run on (the
  # flaky `dev-smoke.sh hup`); test.sh runs every mode with them ignored, to keep that proved.
  python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE):
    signal.signal(s, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make -C "$clone" dev >"$log" 2>&1 &
  pgid=$!
  disown # its end is this test's business, not a job notice

  url=""
  for _ in $(seq 900); do
    url=$(sed -n 's/^dev: API *//p' "$log" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$pgid" 2>/dev/null || { say "make dev exited early:"; tail -n 30 "$log" >&2; return 1; }
    sleep 1
  done
  [ -n "$url" ] || { say "no API URL printed within 900 s"; tail -n 30 "$log" >&2; return 1; }
  say "make dev printed $url"

  if [ "$mode" = term ]; then
    items=0
    for _ in $(seq 120); do
      items=$(curl -fsS "$url?limit=5" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null || echo 0)
      [ "$items" -gt 0 ] && break
      sleep 1
    done
    [ "$items" -gt 0 ] || { say "the API never served videos"; tail -n 30 "$log" >&2; return 1; }
    say "the API serves videos"
  fi

  stop
  grep -q "dev: stopped" "$log" || { say "make dev did not report a clean stop"; tail -n 20 "$log" >&2; return 1; }
  left=$(left_behind)
  if [ -n "$left" ]; then
    say "processes left behind:"; echo "$left" >&2; return 1
  fi
  say "($mode, run $run of ${#modes[@]}) stopped cleanly, nothing left behind"
}

run=0
for mode in "${modes[@]}"; do
  run=$((run + 1))
  smoke_once || exit 1
  pgid=""
done
[ "${#modes[@]}" -eq 1 ] || say "all ${#modes[@]} runs stopped cleanly: ${modes[*]}"
