#!/usr/bin/env bash
# Data-parallel pretraining on this machine: the ring allreduce against raw loopback TCP (bench/AllReduce.java),
# then a tiny BERT on the NSP shards of bench/nsp.sh with 1 worker (one replica, one PyTorch thread) and with
# 2 workers (local-cluster: two executor JVMs of one core each, one replica each), same per-replica batch.
# Writes bench/out/dataparallel.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
shards="$out/nsp-local2"
[[ -f "$shards/_SUCCESS" ]] || "$root/bench/nsp.sh"
java -Xmx10g -Dai.djl.offline=true -cp "$(classpath)" "$root/bench/AllReduce.java" | tee "$out/allreduce.txt"
# local-cluster's workers launch executors from SPARK_HOME/jars (empty here; the class path comes from the conf)
export SPARK_HOME="$out/spark-home" SPARK_SCALA_VERSION=2.12
# one PyTorch thread per replica in both runs: 1 replica on 1 core against 2 replicas on 1 core each
export OMP_NUM_THREADS=1
mkdir -p "$SPARK_HOME/jars"
cp="$root/spark-jobs/target/hunmin-spark-jobs.jar:$(ls "$root"/spark-jobs/target/lib/*.jar | tr '\n' ':')"
printf 'workers\tmaster\tsteps\tseconds\tsequences_per_second\n' > "$out/dataparallel.tsv"
for run in "1 local[2]" "2 local-cluster[2,1,4096]"; do
  read -r workers master <<< "$run"
  dir="$out/dataparallel-$workers"
  "$root/submit/hunmin" pretrain --input "$shards" --vocab "$out/vocab-30000" --output "$dir" --overwrite --size tiny \
    --max-steps 60 --batch-size 32 --learning-rate 1e-3 --warmup-steps 10 --eval-every 1000 --log-every 10 \
    --save-every 1000 --max-position-embeddings 128 --workers "$workers" --master "$master" \
    --set "spark.conf.spark.executor.extraClassPath=$cp" --set "spark.conf.spark.executor.memory=4g" \
    --set "spark.conf.spark.executor.extraJavaOptions=-Dai.djl.offline=true" \
    --set "spark.conf.spark.executorEnv.OMP_NUM_THREADS=1" > "$dir.log" 2>&1
  python3 - "$dir" "$workers" "$master" >> "$out/dataparallel.tsv" <<'PY'
import json, sys
d, workers, master = sys.argv[1:]
lines = [json.loads(l) for l in open(d + "/metrics.jsonl")]
later = [l for l in lines if l["step"] > 10]  # after start-up
sps = sum(l["sequences_per_second"] for l in later) / len(later)
print(f"{workers}\t{master}\t{lines[-1]['step']}\t{json.load(open(d + '/_REPORT.json'))['seconds']}\t{sps:.1f}")
PY
done
column -t -s $'\t' "$out/dataparallel.tsv"
