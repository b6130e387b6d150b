"""Where the jobs of a sweep (or a search) run: a pool of local processes, or Ray tasks.

`run_all(fn, tasks, executor, workers, address)` calls `fn(*args)` for each task, each once the task
it starts from has finished, and yields `(task, result)` in the order they finish:

- "local": a pool of `workers` spawned processes on this machine;
- "ray": one Ray task per job, with its resource request (a CPU; a GPU too for a job that trains,
  where the cluster has one). Without `address` Ray starts a local instance of `workers` CPUs and
  stops it afterwards; with one (`ray://head:10001`, `auto`, or the RAY_ADDRESS variable) it joins
  that cluster, whose nodes must run the same edgenn and see the output folder at the same path
  (a shared volume), since every job reads the trained base and writes the cache there.

Either way each job runs with one thread (WORKER_ENV): a point's figures then do not depend on how
many run beside it, so both executors give the same results. Ray is the `edgenn[scale]` extra.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from edgenn.errors import EdgeNNError

EXECUTORS = ("local", "ray")
# One thread per job (thread counts change float sums), and TensorFlow's start-up lines off.
WORKER_ENV = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
}


@dataclass(frozen=True)
class Task:
    """One call of the job function: its arguments, whether it trains (a GPU helps it), and the task whose
    result it starts from (it runs once that one has finished: a model fine-tuned for int4 starts from
    the point's fine-tuned model, which it would otherwise train again itself)."""

    args: tuple
    trains: bool = False
    after: Task | None = None


def ray_module(what: str = "--executor ray"):
    """Ray, or a one-line error saying that `what` needs it and which extra brings it."""
    try:
        import ray
    except ModuleNotFoundError:
        raise EdgeNNError(None, f"{what} needs Ray, part of the [scale] extra: pip install 'edgenn[scale]'") from None
    return ray


def check(executor: str, address: str | None) -> None:
    """Refuse an unknown executor, an address without Ray, and Ray where it is not installed; before any work."""
    if executor not in EXECUTORS:
        raise EdgeNNError(None, f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if address and executor != "ray":
        raise EdgeNNError(None, "--address names a Ray cluster: it needs --executor ray")
    if executor == "ray":
        ray_module()


def run_all(
    fn: Callable[..., Any], tasks: Iterable[Task], executor: str = "local", workers: int = 1, address: str | None = None
) -> Iterator[tuple[Task, Any]]:
    """fn(*task.args) for every task, on `executor`; (task, result) as each finishes."""
    tasks = list(tasks)
    if not tasks:
        return
    if executor == "ray":
        yield from _on_ray(fn, tasks, workers, address)
    else:
        yield from _on_pool(fn, tasks, workers)


def worker_init() -> None:
    """A local worker: WORKER_ENV, and ending with the process that started it."""
    for name, value in WORKER_ENV.items():
        os.environ[name] = value if name != "TF_CPP_MIN_LOG_LEVEL" else os.environ.get(name, value)
    _die_with_parent()


def _die_with_parent() -> None:
    """A worker ends when the sweep that started it does, even one killed outright (SIGKILL, the OOM
    killer), instead of training on as an orphan: Linux delivers SIGKILL to it on its parent's death."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


def _on_pool(fn, tasks: list[Task], workers: int) -> Iterator[tuple[Task, Any]]:
    waiting, finished, futures = list(tasks), set(), {}
    # Spawned, not forked: a fork of a process that has loaded TensorFlow can deadlock.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=get_context("spawn"), initializer=worker_init
    ) as pool:
        while waiting or futures:
            for task in [t for t in waiting if t.after is None or t.after in finished or t.after not in tasks]:
                waiting.remove(task)
                futures[pool.submit(fn, *task.args)] = task
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                task = futures.pop(fut)
                finished.add(task)
                yield task, fut.result()


def _call(fn, args: tuple, *_after):
    """A Ray task: fn(*args), once the results it is passed (those of the tasks it starts from) exist."""
    return fn(*args)


@contextlib.contextmanager
def session(executor: str, workers: int = 1, address: str | None = None) -> Iterator[None]:
    """Within it, a Ray executor is connected: to the cluster at `address` (or RAY_ADDRESS), else to a
    local instance of `workers` CPUs that it starts and stops. Entered before any work, so that an
    unreachable cluster is one line before anything is trained. The local executor needs nothing."""
    if executor != "ray":
        yield
        return
    import logging
    import warnings

    ray = ray_module()
    if ray.is_initialized():
        yield
        return
    options: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.ERROR,
        "log_to_driver": False,
        "runtime_env": {"env_vars": dict(WORKER_ENV)},
    }
    if not (address or os.environ.get("RAY_ADDRESS")):
        options["num_cpus"] = workers  # a local instance: as many jobs at once as the local pool runs
    try:
        with warnings.catch_warnings():  # Ray Client warns before it fails: the error below says it once
            warnings.simplefilter("ignore")
            ray.init(address=address or None, **options)
    except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f" at {address}" if address else ""
        raise EdgeNNError(None, f"cannot start or reach Ray{where}: {first}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _on_ray(fn, tasks: list[Task], workers: int, address: str | None) -> Iterator[tuple[Task, Any]]:
    with session("ray", workers, address):
        ray = ray_module()
        gpus = ray.cluster_resources().get("GPU", 0) >= 1
        remote = ray.remote(_call)
        refs: dict[Task, Any] = {}
        for task in _dependencies_first(tasks):
            after = [refs[task.after]] if task.after in refs else []
            resources = {"num_cpus": 1, "num_gpus": 1 if gpus and task.trains else 0}
            refs[task] = remote.options(**resources).remote(fn, task.args, *after)
        by_ref = {ref: task for task, ref in refs.items()}
        pending = list(by_ref)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                yield by_ref[ref], ray.get(ref)


def _dependencies_first(tasks: list[Task]) -> list[Task]:
    """The tasks in their order, except that each comes after the task it starts from."""
    ordered: list[Task] = []
    placed: set[Task] = set()

    def place(task: Task) -> None:
        if task in placed:
            return
        if task.after is not None and task.after in tasks:
            place(task.after)
        ordered.append(task)
        placed.add(task)

    for task in tasks:
        place(task)
    return ordered
