"""Where runs are carried out: a local pool of processes, or an existing Dask cluster.

Every unit of work carries its own seed, so a result does not depend on which worker ran it or
when; callers get ``(index, result)`` pairs as runs finish and put them back in order
themselves. Only a bounded window of runs is in flight at once and each result is handed over
and forgotten, so the coordinating process holds a few results however many runs there are.

Local workers are forked from the coordinating process where the platform allows it, so they
start with hrsim (and any plug-ins) already imported instead of spending about a second each
importing Mesa, pandas and SciPy; elsewhere they are spawned. The coordinator runs no model
while its pool works, so no model thread is forked mid-step. Workers ignore Ctrl-C, so an
interrupt stops the coordinator cleanly (pending runs are cancelled, running ones are stopped)
instead of printing one traceback per worker; a worker whose coordinator was killed exits by
itself.
On Dask, a run lost with its worker is resubmitted by the scheduler; keys name the run, so a
run is never counted twice.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from typing import Any, TypeVar

from hrsim.errors import ExecutorError

T = TypeVar("T")
R = TypeVar("R")

#: How local workers start: forked (cheap, hrsim already imported) where the platform can.
START_METHOD = "fork" if "fork" in get_all_start_methods() else "spawn"

#: Runs in flight per worker: enough to keep every worker busy between hand-overs.
WINDOW_PER_WORKER = 2


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def execute[T, R](
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    keys: Sequence[str] | None = None,
) -> Iterator[tuple[int, R]]:
    """Apply ``fn`` to every item and yield ``(index, result)`` as each run finishes.

    Args:
        fn: a module-level function (it is pickled by reference to reach the workers).
        items: the runs' inputs; each must carry everything its run needs, seed included.
        workers: local processes (default: all cores); 1 runs in this process. Ignored with
            ``scheduler``, where the cluster decides.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        keys: a unique name per item, used as the Dask task key (default: the index).
    """
    if not items:
        return
    if scheduler is not None:
        yield from _on_dask(fn, items, scheduler, keys)
        return
    workers = workers or default_workers()
    if workers == 1:
        for index, item in enumerate(items):
            yield index, fn(item)
        return
    yield from _on_local_pool(fn, items, workers)


def _init_worker(coordinator: int) -> None:
    """In each local worker: ignore Ctrl-C, and exit once the coordinator is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the coordinator's handlers; stopping a worker is plain SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        # A killed coordinator (SIGKILL) cannot stop its pool; without this its workers would
        # wait for work forever. Re-parenting (to init or a subreaper) shows it is gone.
        while os.getppid() == coordinator:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="hrsim-coordinator-watch", daemon=True).start()


def _on_local_pool[T, R](
    fn: Callable[[T], R], items: Sequence[T], workers: int
) -> Iterator[tuple[int, R]]:
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context(START_METHOD),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    pending: dict[Future[R], int] = {}
    next_item = 0
    finished = False
    try:
        while next_item < len(items) or pending:
            while next_item < len(items) and len(pending) < workers * WINDOW_PER_WORKER:
                pending[pool.submit(fn, items[next_item])] = next_item
                next_item += 1
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as exc:
                    raise ExecutorError(
                        "a worker process died (killed, or out of memory); runs that finished"
                        " were handed over, run again to finish the rest"
                    ) from exc
                yield index, result
        finished = True
    finally:
        if not finished:
            # An interrupt, an error or a caller that stopped early: finished runs were handed
            # over; stop the running ones now rather than wait for them to end unused.
            _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop running work before Python 3.14
    # (terminate_workers); its process table is the only handle on the workers.
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.terminate()


def _on_dask[T, R](
    fn: Callable[[T], R], items: Sequence[T], scheduler: str, keys: Sequence[str] | None
) -> Iterator[tuple[int, R]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise ExecutorError(
            "--scheduler needs Dask: pip install 'hrsim[dist]' (dask[distributed])"
        ) from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    names = list(keys) if keys is not None else [f"hrsim-run-{i}" for i in range(len(items))]
    window = max(2, WINDOW_PER_WORKER * max(1, _dask_threads(client)))
    try:
        index_of: dict[Any, int] = {}
        queue: Any = as_completed(loop=client.loop)
        next_item = 0

        def submit_more() -> None:
            nonlocal next_item
            while next_item < len(items) and len(index_of) < window:
                # pure=False: the key is ours; retries cover a run lost with its worker.
                future = client.submit(
                    fn, items[next_item], key=names[next_item], pure=False, retries=3
                )
                index_of[future.key] = next_item
                queue.add(future)
                next_item += 1

        submit_more()
        for future in queue:
            index = index_of.pop(future.key)
            result = future.result()
            future.release()
            yield index, result
            submit_more()
    finally:
        client.close()


def _dask_threads(client: Any) -> int:
    try:
        return int(sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - only sizes the window; any answer will do
        return 1
