#!/usr/bin/env bash
# Runs a Hunmin command through spark-submit: on a cluster (YARN, Kubernetes, standalone) or this machine.
#   submit/spark-submit.sh <command> [--flag value …]
# spark-submit options (master, deploy mode, resources) go in HUNMIN_SUBMIT_OPTS, e.g.
#   HUNMIN_SUBMIT_OPTS="--master yarn --deploy-mode cluster --num-executors 10"
# They come after the command's resource profile below, so they win (spark-submit keeps the last value).
# With SPARK_HOME set, its bin/spark-submit runs (the cluster's Spark 3.5, Scala 2.12); without, the same
# org.apache.spark.deploy.SparkSubmit runs from the project's own jars (submit/spark-home.sh), client mode only.
# The application jar is spark-jobs/target/hunmin-spark-jobs-*-cluster.jar (mvn -DskipTests package): Hunmin,
# DJL, Nori and Typesafe Config, with Spark and Hadoop left to the cluster. The cluster overlay applies.
# HUNMIN_GPUS=N (pretrain): N GPUs per executor, one per task (replica), found by submit/gpu-discovery.sh.
# --files, --jars and --driver-java-options in HUNMIN_SUBMIT_OPTS are added to the launcher's own (spark-submit
# would keep only the last).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# checked first: a bad SPARK_HOME or Java is bad configuration (exit 2), not a bash error (127) or a stack trace
if [[ -n "${SPARK_HOME:-}" ]]; then
  # its spark-class picks the java (JAVA_HOME, else PATH)
  [[ -x "$SPARK_HOME/bin/spark-submit" ]] || { echo "spark-submit.sh: SPARK_HOME=$SPARK_HOME has no bin/spark-submit" >&2; exit 2; }
else
  java="$("$root/submit/java.sh")" || exit 2
fi
# HUNMIN_SUBMIT_OPTS is split into words as a shell would, quotes keeping a value with spaces together
# (--conf "spark.executor.extraJavaOptions=-Da -Db"), without running anything in it
submit_opts=()
if [[ -n "${HUNMIN_SUBMIT_OPTS:-}" ]]; then
  words="$(xargs printf '%s\n' <<< "$HUNMIN_SUBMIT_OPTS" 2> /dev/null)" || { echo "spark-submit.sh: HUNMIN_SUBMIT_OPTS: unmatched quote" >&2; exit 2; }
  [[ -z "$words" ]] || mapfile -t submit_opts <<< "$words"
fi
jar=$(ls "$root"/spark-jobs/target/hunmin-spark-jobs-*-cluster.jar 2>/dev/null | head -1 || true) # none: said below
[[ -n "$jar" ]] || { echo "spark-submit.sh: no cluster jar; run mvn -DskipTests package first" >&2; exit 2; }
[[ $# -gt 0 ]] || { echo "usage: spark-submit.sh <command> [--flag value …]" >&2; exit 2; }
command="$1"
shift

# Resource profiles per command: executors for shuffles (clean, vocab, nsp) or one training replica each
# (pretrain: the replica's PyTorch threads take every core, so spark.task.cpus = spark.executor.cores).
files="" jars="" # --files, --jars
case "$command" in
  clean|vocab|nsp|tokenize)
    profile=(--conf spark.executor.memory=8g --conf spark.executor.cores=4) ;;
  pretrain|pipeline|audit)
    profile=(--conf spark.executor.memory=16g --conf spark.executor.cores=8 --conf spark.task.cpus=8) ;;
  *)
    profile=(--conf spark.executor.memory=4g --conf spark.executor.cores=2) ;;
esac
if [[ "$command" == pretrain && -n "${HUNMIN_GPUS:-}" ]]; then
  [[ "$HUNMIN_GPUS" =~ ^[1-9][0-9]?$ ]] || { echo "spark-submit.sh: HUNMIN_GPUS=$HUNMIN_GPUS: a count of GPUs per executor is needed" >&2; exit 2; }
  # one replica (task) per GPU: the executor's 8 cores shared among them, or Spark would run one task, the other
  # GPUs idle; YARN localizes --files before the executor starts, so the script is found in its working directory;
  # Kubernetes and standalone need it on the node (HUNMIN_GPU_DISCOVERY, see README "Operations")
  task_cpus=$(( 8 / HUNMIN_GPUS > 0 ? 8 / HUNMIN_GPUS : 1 ))
  profile+=(--conf "spark.executor.cores=$((task_cpus * HUNMIN_GPUS))" --conf "spark.task.cpus=$task_cpus"
    --conf "spark.executor.resource.gpu.amount=$HUNMIN_GPUS" --conf spark.task.resource.gpu.amount=1
    --conf "spark.executor.resource.gpu.discoveryScript=${HUNMIN_GPU_DISCOVERY:-./gpu-discovery.sh}")
  files="$root/submit/gpu-discovery.sh"
fi
# DJL's PyTorch natives are not in the cluster jar (per platform, large): every command that runs a model gets
# them from these jars, unless HUNMIN_PYTORCH_JARS names others (a CUDA build) or is empty (PYTORCH_LIBRARY_PATH
# on the nodes).
case "$command" in
  clean|vocab|nsp|tokenize|inspect) ;;
  *)
    jars="${HUNMIN_PYTORCH_JARS-$(ls "$root"/spark-jobs/target/lib/pytorch-jni-*.jar "$root"/spark-jobs/target/lib/pytorch-native-cpu-*.jar 2>/dev/null | paste -sd, -)}" ;;
esac
# spark-submit keeps the last --files, --jars and --driver-java-options: those of HUNMIN_SUBMIT_OPTS are joined to
# the launcher's (its -Dai.djl.offline=true must stay)
opts=() driver_options=""
for ((i = 0; i < ${#submit_opts[@]}; i++)); do
  word="${submit_opts[i]}"
  case "$word" in
    --files|--jars|--driver-java-options) i=$((i + 1)) && value="${submit_opts[i]-}" ;;
    --files=*|--jars=*|--driver-java-options=*) value="${word#*=}" && word="${word%%=*}" ;;
    *) opts+=("$word") && continue ;;
  esac
  [[ -n "$value" ]] || { echo "spark-submit.sh: HUNMIN_SUBMIT_OPTS: $word without a value" >&2; exit 2; }
  case "$word" in
    --files) files="${files:+$files,}$value" ;;
    --jars) jars="${jars:+$jars,}$value" ;;
    *) driver_options="${driver_options:+$driver_options }$value" ;;
  esac
done
submit_opts=("${opts[@]}")
[[ -z "$files" ]] || profile+=(--files "$files")
[[ -z "$jars" ]] || profile+=(--jars "$jars")
# DJL never downloads: its natives come from the jars or PYTORCH_LIBRARY_PATH; conf/jvm.options for every JVM but
# its collector, which stays the cluster's (one in spark.executor.defaultJavaOptions would clash: the JVM refuses two)
java_options="-Dai.djl.offline=true $(sed '/^#/d;/^$/d' "$root/conf/jvm.options" | grep -v -E '^-XX:\+Use[A-Za-z0-9]+GC$' | paste -sd' ')"
profile+=(--conf "spark.executor.extraJavaOptions=$java_options")

args=(--class dev.hunmin.jobs.Main --name "hunmin $command" "${profile[@]}")
if [[ -n "${SPARK_HOME:-}" ]]; then
  exec "$SPARK_HOME/bin/spark-submit" --driver-java-options "$java_options${driver_options:+ $driver_options}" "${args[@]}" "${submit_opts[@]}" \
    "$jar" "$command" --overlay cluster "$@"
fi
home="$("$root/submit/spark-home.sh")"
# what bin/spark-class would add: the module opens Spark needs on Java 17, and the driver's memory
opens=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false)
export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# shellcheck disable=SC2086
# (this JVM is the driver: the --driver-java-options given go on its command line)
exec "$java" -Xmx${HUNMIN_DRIVER_MEMORY:-2g} "${opens[@]}" $java_options $driver_options \
  -Dlog4j2.configurationFile="$root/conf/log4j2.properties" -cp "$home/jars/*" org.apache.spark.deploy.SparkSubmit \
  "${args[@]}" "${submit_opts[@]}" "$jar" "$command" --overlay cluster "$@"
