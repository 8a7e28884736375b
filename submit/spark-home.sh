#!/usr/bin/env bash
# Prints a Spark home made of the project's own jars (no Spark download), creating it on first use:
# spark-jobs/target/spark-dist/jars/ links to the Spark and Hadoop jars in spark-jobs/target/lib/ (copied there by
# mvn -DskipTests package), leaving out what the cluster jar brings (Hunmin, DJL, Lucene, Typesafe Config) and the
# PyTorch natives, so a job run with it gets its code the way it would on a real cluster: from the cluster jar
# and --jars. Standalone workers launch executors from SPARK_HOME/jars.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib="$root/spark-jobs/target/lib"
home="$root/spark-jobs/target/spark-dist"
ls "$lib"/spark-core_2.12-*.jar > /dev/null 2>&1 || { echo "spark-home.sh: no Spark jars in $lib; run mvn -DskipTests package first" >&2; exit 2; }
if [[ ! -d "$home/jars" || "$lib" -nt "$home/jars" ]]; then
  rm -rf "$home.tmp" && mkdir -p "$home.tmp/jars"
  for jar in "$lib"/*.jar; do
    case "$(basename "$jar")" in
      hunmin-*|api-[0-9]*|pytorch-*|lucene-*|config-[0-9]*) ;;
      *) ln -s "../../lib/$(basename "$jar")" "$home.tmp/jars/" ;;
    esac
  done
  rm -rf "$home" && mv "$home.tmp" "$home"
fi
echo "$home"
