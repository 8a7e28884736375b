#!/usr/bin/env bash
# What pretraining is worth downstream (issue 8): the shared corpora cleaned with the NSMC test reviews excluded,
# a vocabulary and NSP shards from that text, a BERT pretrained on them, then NSMC fine-tuned from it and from random
# weights side by side. Every stage's wall time is recorded; the pretraining time is the "CPU-hours" budget.
# Environment: VOCAB (30000), SEQ (128: NSP examples, position embeddings and fine-tuning length), SIZE (tiny),
# STEPS (5000), BATCH (128), LR (2e-3), WARMUP (300), TASKS (nsmc), FT_EPOCHS (2), FT_LR (1e-4), FT_BATCH (64), OUT
# (bench/out/downstream). Writes OUT/ (clean, vocab, nsp, pretrain, evaluate, times.tsv: wall and CPU seconds).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
d="${OUT:-$out/downstream}"
seq="${SEQ:-128}"
mkdir -p "$d"
timed() { # name, command…: runs it unless its output is complete, appends its wall and CPU (user + system) seconds
  local name=$1; shift
  if [[ -f "$d/$name/_SUCCESS" ]]; then return; fi
  /usr/bin/time -f "$name\t%e\t%U\t%S" -a -o "$d/times.tsv" "$@" > "$d/$name.log" 2>&1
}
inputs="$data/corpus/movie_reviews.tsv,$data/corpus/petitions_2017-08.jsonl,$data/corpus/news_comments.txt"
timed clean "$root/submit/hunmin" clean --master "local[2]" --input "$inputs" --text-format lines --jsonl-field content \
  --tsv-column review --exclude "$data/eval/nsmc/ratings_test.tsv" --exclude-field document --output "$d/clean" --overwrite
timed vocab "$root/submit/hunmin" vocab --master "local[2]" --input "$d/clean" --output "$d/vocab" --overwrite \
  --vocab-size "${VOCAB:-30000}"
timed nsp "$root/submit/hunmin" nsp --master "local[2]" --input "$d/clean" --vocab "$d/vocab" --output "$d/nsp" --overwrite \
  --max-seq-length "$seq"
timed pretrain "$root/submit/hunmin" pretrain --input "$d/nsp" --vocab "$d/vocab" --output "$d/pretrain" --overwrite \
  --size "${SIZE:-tiny}" --max-steps "${STEPS:-5000}" --batch-size "${BATCH:-128}" --learning-rate "${LR:-2e-3}" \
  --warmup-steps "${WARMUP:-300}" --eval-every 500 --eval-examples 2048 --log-every 50 --save-every 500 \
  --max-position-embeddings "$seq"
timed evaluate "$root/submit/hunmin" evaluate --models "$d/pretrain/final" --tasks "${TASKS:-nsmc}" \
  --output "$d/evaluate" --overwrite --set finetune.epochs="${FT_EPOCHS:-2}" \
  --set finetune.learning-rate="${FT_LR:-1e-4}" --set finetune.batch-size="${FT_BATCH:-64}" --set finetune.max-length="$seq"
python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
report = json.load(open(d + "/pretrain/_REPORT.json"))
print("step\teval_mlm_accuracy")
for line in open(d + "/pretrain/metrics.jsonl"):
    m = json.loads(line)
    if "eval_mlm_accuracy" in m:
        print(f"{m['step']}\t{m['eval_mlm_accuracy']:.4f}")
print(f"unigram baseline {report['unigram_baseline_accuracy']:.4f}")
print(open(d + "/times.tsv").read())
print(open(d + "/evaluate/results.md").read())
PY
