"""Hunmin on Airflow 2: clean -> vocab -> nsp -> pretrain -> export -> evaluate, one spark-submit per step.

Every step passes --skip-if-done, so a rerun of the DAG (or a cleared task) leaves finished steps alone in
seconds, and a retry after a failure starts the step clean (pretrain: resumes from its newest checkpoint).
Exit codes of submit/spark-submit.sh: 0 done or skipped, 2 bad input or configuration (a retry fails the same
way), 3 external failure (storage, cluster: worth a retry), 1 unexpected. HunminOperator fails a step that exits 2
without its retries; any other failure is retried.

Settings come from the environment of the Airflow worker:
  HUNMIN_HOME        the Hunmin checkout with the built jars (mvn -DskipTests package)
  HUNMIN_CORPUS      the raw corpus (files, directories or globs, comma-separated)
  HUNMIN_WORK        where the stages write (hdfs://…, s3a://…, a shared directory)
  HUNMIN_EVAL_DATA   the evaluation sets for evaluate (NSMC, KorNLI, KorSTS in their published formats)
  HUNMIN_SUBMIT_OPTS spark-submit options for every step (--master yarn …); see README "Operations"
"""
import os
import re
import shlex
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.operators.bash import BashOperator

HOME = os.environ.get("HUNMIN_HOME", "/opt/hunmin")
CORPUS = os.environ.get("HUNMIN_CORPUS", "hdfs:///data/corpus")
WORK = os.environ.get("HUNMIN_WORK", "hdfs:///hunmin")
EVAL_DATA = os.environ.get("HUNMIN_EVAL_DATA", "hdfs:///data/eval")

# Each step: the command and its flags; inputs are the earlier steps' outputs under WORK.
STEPS = [
    ("clean", "clean", ["--input", CORPUS, "--output", f"{WORK}/clean"]),
    ("vocab", "vocab", ["--input", f"{WORK}/clean", "--output", f"{WORK}/vocab", "--vocab-size", "30000"]),
    ("nsp", "nsp", ["--input", f"{WORK}/clean", "--vocab", f"{WORK}/vocab", "--output", f"{WORK}/nsp", "--shards", "64"]),
    # --resume: a retry continues from the newest checkpoint instead of step 0
    ("pretrain", "pretrain", ["--input", f"{WORK}/nsp", "--vocab", f"{WORK}/vocab", "--output", f"{WORK}/pretrain",
                              "--size", "base", "--resume"]),
    ("export", "export-hf", ["--model", f"{WORK}/pretrain", "--output", f"{WORK}/model"]),
    # the seeds' downstream table for the new model, random init beside it; the task's working directory is a
    # temporary one, so the evaluation sets are named, not left to the relative default
    ("evaluate", "evaluate", ["--models", f"{WORK}/model", "--tasks", "nsmc,kornli,korsts", "--output", f"{WORK}/evaluate",
                              "--set", f"finetune.data={EVAL_DATA}"]),
]


class HunminOperator(BashOperator):
    """A BashOperator whose exit 2 (bad input or configuration) fails the task at once: a retry would fail alike."""

    def execute(self, context):
        try:
            return super().execute(context)
        except AirflowException as e:
            # BashOperator's message for a failed command: "… returned a non-zero exit code 2."
            if not isinstance(e, AirflowFailException) and re.search(r"exit code 2\b", str(e)):
                raise AirflowFailException(str(e)) from e
            raise


default_args = {
    "owner": "hunmin",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
}

with DAG(
    dag_id="hunmin",
    description="Korean BERT pretraining: clean, vocab, nsp, pretrain, export, evaluate",
    start_date=datetime(2025, 1, 1),
    schedule=None,  # triggered by hand or by the corpus' producer; "@weekly" retrains weekly
    catchup=False,
    max_active_runs=1,  # two runs would write the same WORK directories
    default_args=default_args,
    tags=["hunmin"],
) as dag:
    previous = None
    for task_id, command, flags in STEPS:
        task = HunminOperator(
            task_id=task_id,
            # quoted: a path with a space stays one word
            bash_command=shlex.join([f"{HOME}/submit/spark-submit.sh", command, *flags, "--skip-if-done"]),
            # pretrain runs for hours or days; the others minutes to hours
            execution_timeout=timedelta(days=7) if command == "pretrain" else timedelta(hours=12),
        )
        if previous is not None:
            previous >> task
        previous = task
