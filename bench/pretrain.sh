#!/usr/bin/env bash
# Pretraining quality on the shared corpora: a tiny BERT on the NSP shards of bench/nsp.sh (30000-token vocabulary,
# 878k examples, the last shard held out), CPU, 1200 steps of 32 sequences. Reports the held-out MLM accuracy
# curve against the unigram baseline. Writes bench/out/pretrain-$SIZE/ (metrics.jsonl, _REPORT.json).
# Environment: SIZE (tiny), STEPS (1200), BATCH (32), LR (1e-3), WARMUP (200), EVAL_EVERY (200).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
shards="$out/nsp-local2"
[[ -f "$shards/_SUCCESS" ]] || "$root/bench/nsp.sh"
run="$out/pretrain-${SIZE:-tiny}"
"$root/submit/hunmin" pretrain --input "$shards" --vocab "$out/vocab-30000" --output "$run" --overwrite \
  --size "${SIZE:-tiny}" --max-steps "${STEPS:-1200}" --batch-size "${BATCH:-32}" --learning-rate "${LR:-1e-3}" \
  --warmup-steps "${WARMUP:-200}" --eval-every "${EVAL_EVERY:-200}" --eval-examples 1024 --log-every 100 --save-every 500 \
  --max-position-embeddings 128 > "$run.log" 2>&1
python3 - "$run" <<'PY'
import json, sys
d = sys.argv[1]
report = json.load(open(d + "/_REPORT.json"))
print("step\teval_mlm_loss\teval_mlm_accuracy\ttrain_loss\tsequences_per_second")
for line in open(d + "/metrics.jsonl"):
    m = json.loads(line)
    if "eval_mlm_accuracy" in m:
        print(f"{m['step']}\t{m['eval_mlm_loss']:.3f}\t{m['eval_mlm_accuracy']:.4f}\t{m['loss']:.3f}\t{m['sequences_per_second']:.0f}")
print(f"unigram baseline accuracy {report['unigram_baseline_accuracy']:.4f}; {report['steps']} steps in {report['seconds']} s")
PY
