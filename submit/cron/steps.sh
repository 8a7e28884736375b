#!/usr/bin/env bash
# The DAG's steps for cron (or any scheduler without one): clean → vocab → nsp → pretrain → export-hf →
# evaluate, each with --skip-if-done. A step that exits 3 (external failure) or 1 (unexpected) is retried after a
# pause, up to HUNMIN_RETRIES times; any other failure stops at once: exit 2 (bad input or configuration) since a
# retry would fail the same way, others (a signal, a launcher error) since they are not Hunmin's to judge.
# Environment: HUNMIN_HOME, HUNMIN_CORPUS, HUNMIN_WORK, HUNMIN_EVAL_DATA as in submit/airflow/hunmin_dag.py;
# HUNMIN_RETRIES (2), HUNMIN_RETRY_DELAY seconds (600).
set -uo pipefail
home="${HUNMIN_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
work="${HUNMIN_WORK:?set HUNMIN_WORK}"
corpus="${HUNMIN_CORPUS:?set HUNMIN_CORPUS}"
eval_data="${HUNMIN_EVAL_DATA:?set HUNMIN_EVAL_DATA}"

step() {
  local attempt=0 rc
  while true; do
    echo "$(date -Is) hunmin $1: start (attempt $((attempt + 1)))"
    "$home/submit/spark-submit.sh" "$@" --skip-if-done
    rc=$?
    [[ $rc -eq 0 ]] && return 0
    if [[ ($rc -ne 1 && $rc -ne 3) || $attempt -ge ${HUNMIN_RETRIES:-2} ]]; then
      echo "$(date -Is) hunmin $1: failed with exit $rc; stopping"
      exit "$rc"
    fi
    attempt=$((attempt + 1))
    sleep "${HUNMIN_RETRY_DELAY:-600}"
  done
}

step clean --input "$corpus" --output "$work/clean"
step vocab --input "$work/clean" --output "$work/vocab" --vocab-size 30000
step nsp --input "$work/clean" --vocab "$work/vocab" --output "$work/nsp" --shards 64
step pretrain --input "$work/nsp" --vocab "$work/vocab" --output "$work/pretrain" --size base --resume
step export-hf --model "$work/pretrain" --output "$work/model"
step evaluate --models "$work/model" --tasks nsmc,kornli,korsts --output "$work/evaluate" --set "finetune.data=$eval_data"
