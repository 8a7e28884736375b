#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the project's own jars (no Spark download): one master and
# HUNMIN_WORKERS workers, all bound to 127.0.0.1, the same daemons a real standalone cluster runs.
#   submit/standalone-cluster.sh start    starts them, waits until every worker has registered, prints the master URL
#   submit/standalone-cluster.sh stop     stops the daemons this script started (and so their executors)
#   submit/standalone-cluster.sh status
# Then: HUNMIN_SUBMIT_OPTS="--master spark://127.0.0.1:7077" submit/spark-submit.sh pipeline
# Environment: HUNMIN_CLUSTER_DIR (pid files, logs, worker directories; spark-jobs/target/standalone),
# HUNMIN_MASTER_PORT (7077; start exits 2 when it is taken), HUNMIN_WORKERS (2), HUNMIN_WORKER_CORES (1),
# HUNMIN_WORKER_MEMORY (2g). Java as for submit/hunmin (submit/java.sh: Java 17).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${HUNMIN_CLUSTER_DIR:-$root/spark-jobs/target/standalone}"
port="${HUNMIN_MASTER_PORT:-7077}"
workers="${HUNMIN_WORKERS:-2}"
master="spark://127.0.0.1:$port"

# the daemons on Java 17 need the module opens spark-class adds
opens=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED)

daemon() { # name, [JVM options,] main class, arguments…
  local name="$1"
  shift
  SPARK_HOME="$home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 setsid "$java" -Xmx512m "${opens[@]}" \
    -cp "$home/jars/*" "$@" > "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

wait_for() { # name, text, what
  for _ in $(seq 1 120); do
    grep -q "$2" "$dir/$1.log" 2>/dev/null && return 0
    kill -0 "$(cat "$dir/$1.pid")" 2> /dev/null || break # it exited: no use waiting
    sleep 0.5
  done
  echo "standalone-cluster.sh: $3 did not start; see $dir/$1.log" >&2
  return 1
}

stop() {
  local pid
  for f in "$dir"/*.pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f")
    kill "$pid" 2> /dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2> /dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2> /dev/null || true
    rm -f "$f"
  done
}

case "${1:-}" in
  start)
    java="$("$root/submit/java.sh")" || exit 2
    [[ -z "$(ls "$dir"/*.pid 2> /dev/null)" ]] || { echo "standalone-cluster.sh: already started (pid files in $dir); stop it first" >&2; exit 2; }
    # Spark would move a master whose port is taken to the next free one, and the workers, told $master, could
    # join whatever listens there: refused here, and the master started with no retries (a port taken meanwhile)
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
      echo "standalone-cluster.sh: port $port on 127.0.0.1 is in use; set HUNMIN_MASTER_PORT to a free one" >&2
      exit 2
    fi
    home="$("$root/submit/spark-home.sh")"
    mkdir -p "$dir"
    trap 'stop' ERR
    daemon master -Dspark.port.maxRetries=0 org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0
    wait_for master "I have been elected leader" "the master (port $port)"
    for i in $(seq 1 "$workers"); do
      mkdir -p "$dir/worker-$i"
      daemon "worker-$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --webui-port 0 \
        --cores "${HUNMIN_WORKER_CORES:-1}" --memory "${HUNMIN_WORKER_MEMORY:-2g}" --work-dir "$dir/worker-$i" "$master"
    done
    for i in $(seq 1 "$workers"); do wait_for "worker-$i" "Successfully registered with master" "worker $i"; done
    echo "$master"
    ;;
  stop) stop ;;
  status)
    for f in "$dir"/*.pid; do
      [[ -f "$f" ]] || { echo "not started"; exit 0; }
      kill -0 "$(cat "$f")" 2> /dev/null && echo "$(basename "$f" .pid) running (pid $(cat "$f"))" || echo "$(basename "$f" .pid) gone"
    done
    ;;
  *) echo "usage: standalone-cluster.sh start|stop|status" >&2; exit 2 ;;
esac
