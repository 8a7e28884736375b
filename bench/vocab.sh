#!/usr/bin/env bash
# Vocabulary learning on the cleaned shared corpora (~64 MB of text), vocabulary 30000: Hunmin under local[1] and
# local[2] against Hugging Face's WordPiece trainer on the same text, then quality on held-out text (KorSTS,
# question pairs, hate-speech comments; none is in the training corpora; and KorNLI): tokens per word and [UNK] rate.
# Hugging Face's Node binding trains with its default trainer only (no alphabet limit, no minimum frequency), so
# Hunmin runs with --limit-alphabet 0 --min-frequency 1 here. Writes bench/out/vocab.tsv and vocab-quality.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# Each run is pinned to its cores (taskset): under local[1] alone the JVM's compiler and collector threads would
# work on the second core, and one core to two would measure those threads rather than the job. Runs alternate,
# REPEAT times (default 3); the table gives every run, the summary line medians.
printf 'learner\tcores\trun\tseconds\n' > "$out/vocab.tsv"
for run in $(seq "${REPEAT:-3}"); do
  for cores in 1 2; do
    taskset -c "0-$((cores - 1))" "$root/submit/hunmin" vocab --master "local[$cores]" --input "$clean" \
      --output "$out/vocab-local$cores" --overwrite --vocab-size 30000 --limit-alphabet 0 --min-frequency 1 >/dev/null 2>&1
    wall=$(python3 -c "import json;print(json.load(open('$out/vocab-local$cores/_REPORT.json'))['seconds'])")
    printf 'hunmin local[%s]\t%s\t%s\t%s\n' "$cores" "$cores" "$run" "$wall" >> "$out/vocab.tsv"
    started=$(date +%s.%N)
    taskset -c "0-$((cores - 1))" node "$root/tools/hf-tokenizers/train.js" "$out/vocab-hf" "$clean"/text/*.txt 2>/dev/null
    printf 'huggingface trainer\t%s\t%s\t%.2f\n' "$cores" "$run" "$(echo "$(date +%s.%N) - $started" | bc)" >> "$out/vocab.tsv"
  done
done
cmp -s "$out/vocab-local1/vocab.txt" "$out/vocab-local2/vocab.txt" || { echo "vocab.txt differs between 1 and 2 cores" >&2; exit 1; }
python3 - "$out/vocab.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
med = {(r['learner'].split(' local')[0], r['cores']): statistics.median(float(x['seconds']) for x in rows
       if x['learner'].split(' local')[0] == r['learner'].split(' local')[0] and x['cores'] == r['cores']) for r in rows}
for name in ('hunmin', 'huggingface trainer'):
    print(f"{name}: median {med[(name, '1')]:.2f} s on 1 core, {med[(name, '2')]:.2f} s on 2, scaling {med[(name, '1')] / med[(name, '2')]:.2f}x")
PY
e="$data/eval"
(cut -f6,7 "$e"/korsts/sts-*.tsv | tail -n +2 | tr '\t' '\n'; cut -f1,2 "$e"/question_pair/*.txt | tr '\t' '\n'; cut -f1 "$e"/hate_speech/*.tsv) \
  | grep -v '^$' > "$out/heldout.txt"
java -cp "$(classpath)" "$root/bench/VocabQuality.java" "$out/heldout.txt" "$out/vocab-hf" "$out/vocab-local2" > "$out/vocab-quality.tsv"
# a second held-out check, never looked at while choosing the learner's settings: KorNLI's sentences
cut -f1,2 "$e"/kornli/*.tsv | tail -n +2 | tr '\t' '\n' | grep -v '^$' > "$out/heldout-kornli.txt"
java -cp "$(classpath)" "$root/bench/VocabQuality.java" "$out/heldout-kornli.txt" "$out/vocab-hf" "$out/vocab-local2" > "$out/vocab-quality-kornli.tsv"
column -t -s $'\t' "$out/vocab.tsv"
column -t -s $'\t' "$out/vocab-quality.tsv"
column -t -s $'\t' "$out/vocab-quality-kornli.tsv"
