#!/usr/bin/env bash
# Vocabulary learning (as bench/vocab.sh: the cleaned shared corpora, 30000 tokens) run RUNS times in one JVM
# (bench/WarmRuns.java), local[1] and local[2] alternating REPEAT times, each JVM pinned to its cores: the first run
# of a JVM pays for the JIT and Spark's first jobs, the later ones are the work alone. Writes bench/out/warm.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# the JVM submit/hunmin starts: conf/jvm.options as it is (edit it to compare settings), the module opens, the jars
opens=$(sed -n '/^opens=(/,/useDirectMethodHandle/p' "$root/submit/hunmin" | sed 's/^opens=(//; s/)$//' | tr '\n' ' ')
jvm=$(sed '/^#/d;/^$/d' "$root/conf/jvm.options" | paste -sd' ')
printf 'master\tjvm\trun\tseconds\n' > "$out/warm.tsv"
cd "$root" # WarmRuns reads conf/ from the working directory
for jvm_no in $(seq "${REPEAT:-3}"); do
  for cores in 1 2; do
    # shellcheck disable=SC2086
    taskset -c "0-$((cores - 1))" java $jvm -Xmx4g $opens -Dai.djl.offline=true \
      -Dlog4j2.configurationFile="$root/conf/log4j2.properties" -cp "$root/spark-jobs/target/hunmin-spark-jobs.jar:$root/spark-jobs/target/lib/*" \
      "$root/bench/WarmRuns.java" "local[$cores]" "${RUNS:-4}" vocab --overlay local --input "$clean" --output "$out/warm-local$cores" \
      --overwrite --vocab-size 30000 --limit-alphabet 0 --min-frequency 1 2>/dev/null \
      | awk -v j="$jvm_no" -F'\t' '/^local/ {split($2, r, " "); split($3, s, " "); print $1 "\t" j "\t" r[2] "\t" s[1]}' >> "$out/warm.tsv"
  done
done
python3 - "$out/warm.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
def med(master, first):
    return statistics.median(float(r['seconds']) for r in rows if r['master'] == master and (r['run'] == '1') == first)
for first, what in ((True, 'first run of a JVM'), (False, 'later runs')):
    one, two = med('local[1]', first), med('local[2]', first)
    print(f"{what}: median {one:.2f} s on 1 core, {two:.2f} s on 2, scaling {one / two:.2f}x")
PY
