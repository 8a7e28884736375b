#!/usr/bin/env bash
# Runs a Hunmin command on a cluster through spark-submit, with the cluster's own Spark (3.5, Scala 2.12).
#   SPARK_HOME=/opt/spark submit/spark-submit.sh <command> [--flag value …]
# Extra spark-submit options (master, deploy mode, resources) go in HUNMIN_SUBMIT_OPTS, e.g.
#   HUNMIN_SUBMIT_OPTS="--master yarn --deploy-mode cluster --executor-memory 8g --num-executors 10"
# The jar is spark-jobs/target/hunmin-spark-jobs-*-cluster.jar (mvn -DskipTests package): Hunmin, Nori and
# Typesafe Config, with Spark and Hadoop left to the cluster. The cluster overlay (conf/cluster.conf) applies.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar=$(ls "$root"/spark-jobs/target/hunmin-spark-jobs-*-cluster.jar 2>/dev/null | head -1)
[[ -n "$jar" ]] || { echo "spark-submit.sh: no cluster jar; run mvn -DskipTests package first" >&2; exit 2; }
[[ $# -gt 0 ]] || { echo "usage: spark-submit.sh <command> [--flag value …]" >&2; exit 2; }
command="$1"
shift
# shellcheck disable=SC2086
exec "${SPARK_HOME:?set SPARK_HOME to a Spark 3.5 installation}/bin/spark-submit" \
  --class dev.hunmin.jobs.Main --name "hunmin $command" ${HUNMIN_SUBMIT_OPTS:-} \
  "$jar" "$command" --overlay cluster "$@"
