#!/usr/bin/env python3
"""CI check of hunmin_dag.py without Airflow (which cannot be installed here): compiles the file, runs it
against stand-ins for the few Airflow classes it uses, and checks the tasks, their order, their retries and that
exit 2 fails a task without them.
  python3 submit/airflow/check_dag.py           exit 0 when the DAG is as expected
  python3 submit/airflow/check_dag.py --print   also print each task's Hunmin arguments, one JSON list a line
"""
import json
import os
import py_compile
import shlex
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
DAG_FILE = os.path.join(HERE, "hunmin_dag.py")
ORDER = ["clean", "vocab", "nsp", "pretrain", "export", "evaluate"]
COMMANDS = {"export": "export-hf"}


class DAG:
    current = None

    def __init__(self, dag_id, default_args=None, **kwargs):
        self.dag_id = dag_id
        self.default_args = default_args or {}
        self.kwargs = kwargs
        self.tasks = {}

    def __enter__(self):
        DAG.current = self
        return self

    def __exit__(self, *exc):
        DAG.current = None


class AirflowException(Exception):
    pass


class AirflowFailException(AirflowException):
    """Airflow's: the task fails without its retries."""


class BashOperator:
    def __init__(self, task_id, bash_command, **kwargs):
        dag = kwargs.pop("dag", None) or DAG.current
        assert dag is not None, f"task {task_id} is outside a DAG"
        assert task_id not in dag.tasks, f"task id {task_id} twice"
        args = dict(dag.default_args, **kwargs)
        self.task_id = task_id
        self.bash_command = bash_command
        self.retries = args.get("retries", 0)
        self.upstream = set()
        self.downstream = set()
        dag.tasks[task_id] = self

    def execute(self, context):
        """Airflow 2's BashOperator.execute for a command that exits with context["exit_code"] (nothing runs here)."""
        code = context["exit_code"]
        if code != 0:
            raise AirflowException(f"Bash command failed. The command returned a non-zero exit code {code}.")

    def __rshift__(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            self.downstream.add(o.task_id)
            o.upstream.add(self.task_id)
        return other

    def __lshift__(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            o >> self
        return other


def stub_airflow():
    airflow = types.ModuleType("airflow")
    airflow.DAG = DAG
    operators = types.ModuleType("airflow.operators")
    bash = types.ModuleType("airflow.operators.bash")
    bash.BashOperator = BashOperator
    exceptions = types.ModuleType("airflow.exceptions")
    exceptions.AirflowException = AirflowException
    exceptions.AirflowFailException = AirflowFailException
    airflow.operators = operators
    airflow.exceptions = exceptions
    operators.bash = bash
    sys.modules.update({"airflow": airflow, "airflow.operators": operators, "airflow.operators.bash": bash,
                        "airflow.exceptions": exceptions})


def load():
    with tempfile.TemporaryDirectory() as tmp:  # byte-compile as Airflow's DAG processor would, leaving no .pyc
        py_compile.compile(DAG_FILE, doraise=True, cfile=os.path.join(tmp, "dag.pyc"))
    stub_airflow()
    scope = {"__name__": "hunmin_dag", "__file__": DAG_FILE}
    with open(DAG_FILE, encoding="utf-8") as f:
        exec(compile(f.read(), DAG_FILE, "exec"), scope)
    dags = [v for v in scope.values() if isinstance(v, DAG)]
    assert len(dags) == 1, f"expected one DAG, found {len(dags)}"
    return dags[0]


def hunmin_args(task):
    """The words after submit/spark-submit.sh: the command and its flags."""
    words = shlex.split(task.bash_command)
    at = [i for i, w in enumerate(words) if w.endswith("submit/spark-submit.sh")]
    assert len(at) == 1, f"{task.task_id}: one submit/spark-submit.sh call expected: {task.bash_command}"
    # the launcher as one word, also when HUNMIN_HOME holds a space (paths must be quoted)
    launcher = os.path.join(os.environ.get("HUNMIN_HOME", "/opt/hunmin"), "submit", "spark-submit.sh")
    assert words[at[0]] == launcher, f"{task.task_id}: launcher {words[at[0]]!r}, expected {launcher!r}"
    return words[at[0] + 1:]


def check(dag):
    assert list(dag.tasks) == ORDER, f"tasks {list(dag.tasks)}, expected {ORDER}"
    for i, task_id in enumerate(ORDER):
        task = dag.tasks[task_id]
        expected_up = {ORDER[i - 1]} if i > 0 else set()
        expected_down = {ORDER[i + 1]} if i + 1 < len(ORDER) else set()
        assert task.upstream == expected_up, f"{task_id} upstream {task.upstream}, expected {expected_up}"
        assert task.downstream == expected_down, f"{task_id} downstream {task.downstream}, expected {expected_down}"
        assert task.retries >= 1, f"{task_id} has no retries"
        args = hunmin_args(task)
        assert args[0] == COMMANDS.get(task_id, task_id), f"{task_id} runs {args[0]}"
        assert "--skip-if-done" in args, f"{task_id} lacks --skip-if-done"
        assert "--overwrite" not in args, f"{task_id} must not replace finished outputs of another configuration"
    assert "--resume" in hunmin_args(dag.tasks["pretrain"]), "a retried pretrain must resume"
    for task in dag.tasks.values():
        check_exit_codes(task)


def check_exit_codes(task):
    """Exit 2 (bad input) fails without retries; 1 and 3 raise what Airflow retries; 0 succeeds."""
    for code, expected in ((0, None), (1, AirflowException), (2, AirflowFailException), (3, AirflowException)):
        try:
            task.execute({"exit_code": code})
            raised = None
        except AirflowException as e:
            raised = type(e)
        assert raised is expected, f"{task.task_id}: exit {code} raised {raised}, expected {expected}"


def main():
    dag = load()
    check(dag)
    if "--print" in sys.argv[1:]:
        for task in dag.tasks.values():
            print(json.dumps(hunmin_args(task)))
    print(f"check_dag: {DAG_FILE}: {len(dag.tasks)} tasks in order {' >> '.join(dag.tasks)}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, py_compile.PyCompileError, SyntaxError) as e:
        print(f"check_dag: {e}", file=sys.stderr)
        sys.exit(1)
