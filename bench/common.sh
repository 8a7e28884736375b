# Shared by the benchmarks: paths, the build, and the cleaned shared corpus they start from.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${HUNMIN_SHARED:-$root/../shared/data}"
out="$root/bench/out"
mkdir -p "$out"
[[ -f "$root/spark-jobs/target/hunmin-spark-jobs.jar" ]] || (cd "$root" && mvn -q -B -DskipTests package)
[[ -d "$root/tools/hf-tokenizers/node_modules/tokenizers" ]] || npm ci --prefix "$root/tools/hf-tokenizers" --no-audit --no-fund
# the shared corpora cleaned (bench/clean.sh writes the same directory)
clean="$out/clean-local2"
if [[ ! -f "$clean/_SUCCESS" ]]; then
  "$root/submit/hunmin" clean --master "local[2]" --text-format lines --jsonl-field content --tsv-column review \
    --input "$data/corpus/movie_reviews.tsv,$data/corpus/petitions_2017-08.jsonl,$data/corpus/news_comments.txt" \
    --output "$clean" --overwrite
fi
classpath() {
  echo "$root/model-core/target/classes:$(ls "$root"/spark-jobs/target/lib/*.jar | tr '\n' ':')"
}
