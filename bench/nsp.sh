#!/usr/bin/env bash
# Raw corpus → NSP shards (clean + nsp with an existing 30000-token vocabulary) on the shared corpora (~86 MB),
# under local[1] and local[2], each pinned to its cores (taskset): wall seconds of each command (JVM start included) and raw MB/s per core.
# Writes bench/out/nsp.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
vocab="$out/vocab-30000"
[[ -f "$vocab/_SUCCESS" ]] || "$root/submit/hunmin" vocab --input "$clean" --output "$vocab" --overwrite --vocab-size 30000
inputs="$data/corpus/movie_reviews.tsv,$data/corpus/petitions_2017-08.jsonl,$data/corpus/news_comments.txt"
bytes=$(cat "$data/corpus/movie_reviews.tsv" "$data/corpus/petitions_2017-08.jsonl" "$data/corpus/news_comments.txt" | wc -c)
printf 'master\tclean_s\tnsp_s\ttotal_s\traw_MB\tMB_per_s_per_core\texamples\n' > "$out/nsp.tsv"
for cores in 1 2; do
  s0=$(date +%s.%N)
  taskset -c "0-$((cores - 1))" "$root/submit/hunmin" clean --master "local[$cores]" --input "$inputs" --text-format lines --jsonl-field content \
    --tsv-column review --output "$out/nsp-clean-local$cores" --overwrite >/dev/null 2>&1
  s1=$(date +%s.%N)
  taskset -c "0-$((cores - 1))" "$root/submit/hunmin" nsp --master "local[$cores]" --input "$out/nsp-clean-local$cores" --vocab "$vocab" \
    --output "$out/nsp-local$cores" --overwrite >/dev/null 2>&1
  s2=$(date +%s.%N)
  examples=$(python3 -c "import json;print(json.load(open('$out/nsp-local$cores/_REPORT.json'))['examples'])")
  python3 -c "
c, s0, s1, s2, b = $cores, $s0, $s1, $s2, $bytes
print(f'local[{c}]\t{s1-s0:.1f}\t{s2-s1:.1f}\t{s2-s0:.1f}\t{b/1e6:.1f}\t{b/1e6/(s2-s0)/c:.2f}\t$examples')" >> "$out/nsp.tsv"
done
column -t -s $'\t' "$out/nsp.tsv"
