"""edgenn.optimize.executor: both executors call every task once, in worker processes of one thread,
each task only after the task it starts from has finished; Ray with its own local instance."""

from __future__ import annotations

import os
import time

import pytest

from edgenn.errors import EdgeNNError
from edgenn.optimize.executor import Task, check, run_all


def timed(name: str, seconds: float) -> tuple[str, float, float, int, str]:
    """A job: its name, when it started and ended, the process it ran in and its thread setting."""
    start = time.time()
    time.sleep(seconds)
    return name, start, time.time(), os.getpid(), os.environ.get("TF_NUM_INTRAOP_THREADS", "")


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_every_task_runs_once_and_after_the_one_it_starts_from(executor):
    if executor == "ray":
        pytest.importorskip("ray")
    first = Task(("first", 1.0), trains=True)
    tasks = [
        Task(("waits", 0.0), after=first),
        first,
        Task(("free", 0.2)),
        Task(("last", 0.0), after=Task(("not given", 0.0))),  # starts from a task not run here: no wait
    ]
    results = dict(run_all(timed, tasks, executor, workers=2))
    assert set(results) == set(tasks)
    by_name = {r[0]: r for r in results.values()}
    assert by_name["waits"][1] >= by_name["first"][2]  # started once "first" had ended
    assert by_name["free"][1] < by_name["first"][2]  # the free one ran beside it
    assert all(r[3] != os.getpid() for r in results.values())  # in workers, not here
    assert {r[4] for r in results.values()} == {"1"}  # one thread each


def test_check_refuses_what_cannot_run():
    with pytest.raises(EdgeNNError, match="executor must be one of local, ray"):
        check("dask", None)
    with pytest.raises(EdgeNNError, match="--address names a Ray cluster: it needs --executor ray"):
        check("local", "auto")
    check("local", None)
