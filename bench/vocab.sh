#!/usr/bin/env bash
# Vocabulary learning on the cleaned shared corpora (~64 MB of text), vocabulary 30000: Hunmin under local[1] and
# local[2] against Hugging Face's WordPiece trainer on the same text, then quality on held-out text (KorSTS,
# question pairs, hate-speech comments; none is in the training corpora; and KorNLI): tokens per word and [UNK] rate.
# Hugging Face's Node binding trains with its default trainer only (no alphabet limit, no minimum frequency), so
# Hunmin runs with --limit-alphabet 0 --min-frequency 1 here. Writes bench/out/vocab.tsv and vocab-quality.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
printf 'learner\tseconds\n' > "$out/vocab.tsv"
for cores in 1 2; do
  "$root/submit/hunmin" vocab --master "local[$cores]" --input "$clean" --output "$out/vocab-local$cores" --overwrite \
    --vocab-size 30000 --limit-alphabet 0 --min-frequency 1 >/dev/null 2>&1
  wall=$(python3 -c "import json;print(json.load(open('$out/vocab-local$cores/_REPORT.json'))['seconds'])")
  printf 'hunmin local[%s]\t%s\n' "$cores" "$wall" >> "$out/vocab.tsv"
done
started=$(date +%s.%N)
node "$root/tools/hf-tokenizers/train.js" "$out/vocab-hf" "$clean"/text/*.txt 2>/dev/null
printf 'huggingface trainer (%s threads)\t%.1f\n' "$(nproc)" "$(echo "$(date +%s.%N) - $started" | bc)" >> "$out/vocab.tsv"
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
