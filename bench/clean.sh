#!/usr/bin/env bash
# Benchmark of `hunmin clean` on the shared corpora (~82 MB: movie reviews TSV, petitions JSONL, news comments),
# under local[1] and local[2], each run pinned to its cores (taskset: otherwise local[1]'s JIT compilers and
# collector run on the second core): wall time, MB/s, MB/s per core, peak resident memory. Writes bench/out/clean.tsv.
#   bench/clean.sh [SHARED_DATA_DIR]     (default ../shared/data)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-$root/../shared/data}/corpus"
out="$root/bench/out"
mkdir -p "$out"
inputs="$data/movie_reviews.tsv,$data/petitions_2017-08.jsonl,$data/news_comments.txt"
bytes=$(cat "$data/movie_reviews.tsv" "$data/petitions_2017-08.jsonl" "$data/news_comments.txt" | wc -c)
[[ -f "$root/spark-jobs/target/hunmin-spark-jobs.jar" ]] || (cd "$root" && mvn -q -B -DskipTests package)
printf 'master\tseconds\tMB\tMB_per_s\tMB_per_s_per_core\tpeak_rss_MB\tdocs_in\tdocs_out\n' > "$out/clean.tsv"
for cores in 1 2; do
  log="$out/clean-local$cores.log"
  /usr/bin/time -v taskset -c "0-$((cores - 1))" "$root/submit/hunmin" clean --master "local[$cores]" --input "$inputs" --text-format lines \
    --jsonl-field content --tsv-column review --output "$out/clean-local$cores" --overwrite >"$log" 2>&1
  secs=$(python3 -c "import json;print(json.load(open('$out/clean-local$cores/_REPORT.json'))['seconds'])")
  rss=$(awk '/Maximum resident set size/ {print int($6/1024)}' "$log")
  docs=$(python3 -c "import json;r=json.load(open('$out/clean-local$cores/_REPORT.json'))['documents'];print(r['in'],r['out'],sep='\t')")
  python3 - "$cores" "$secs" "$bytes" "$rss" "$docs" >>"$out/clean.tsv" <<'PY'
import sys
cores, secs, size, rss, docs = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
mb = size / 1e6
print(f"local[{cores}]\t{secs:.1f}\t{mb:.1f}\t{mb/secs:.2f}\t{mb/secs/cores:.2f}\t{rss}\t{docs}")
PY
done
column -t "$out/clean.tsv"
