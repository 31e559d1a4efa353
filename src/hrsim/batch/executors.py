"""Where runs are carried out: a local pool of processes, or an existing Dask cluster.

Every unit of work carries its own seed, so a result does not depend on which worker ran it or
when; callers get ``(index, result)`` pairs as runs finish and put them back in order
themselves. Only a bounded window of runs is in flight at once and each result is handed over
and forgotten, so the coordinating process holds a few results however many runs there are.

Local workers start with hrsim, Mesa, pandas and SciPy already imported, in one of two ways:
- **Forked from the coordinating process** when it has no thread but its own (``hrsim sweep``
  and the other commands, and most scripts: ``import hrsim`` keeps pyarrow's allocator thread
  off, and the sweep's progress bar runs no monitor thread). Workers start at once.
- **Forked from a fork server** otherwise (``multiprocessing``'s "forkserver"; "spawn" where
  the platform has none): forking a process that has threads (Dask's, a notebook's, pytest's,
  pyarrow's when it was loaded before hrsim) can deadlock the child, and Python 3.12+ warns
  about it. The server is a fresh interpreter started at a process's first pool; it imports
  what a run needs (``PRELOAD`` and the module of the function run), starts no thread
  (pyarrow's jemalloc thread is turned off there) and forks every worker of that pool and of
  the later ones. Its import costs about a second of one core, once per process.

A worker takes the coordinator's current environment (``HRSIM_PLUGINS`` included) and imports
the modules that registered the coordinator's programmes (``--plugin`` files, entry points,
modules a script imported), so it knows every programme the coordinator knows, even one
registered after the server started. A programme defined in a notebook cell has no module to
import: put it in a file (``load_plugin``), as for Dask. A script that uses local workers must
start them under ``if __name__ == "__main__":`` (workers import the script).

Workers ignore Ctrl-C, so an interrupt stops the coordinator cleanly (pending runs are
cancelled, running ones are stopped) instead of printing one traceback per worker; a worker
whose coordinator was killed exits by itself. A Ctrl-C or SIGTERM that lands while the pool
forks a worker raises its KeyboardInterrupt inside the fork's after-fork hook, where Python
drops it ("Exception ignored in _afterFork"): a signal handler that also calls
:func:`note_stop` (the command line's does) is heard anyway, because the pool checks for
noted stops after each fork and stops there.

On Dask, a run lost with its worker is resubmitted by the scheduler; keys name the run, so a
run is never counted twice. A scheduler address is checked before anything starts
(:func:`check_scheduler_address`: one line naming the forms Dask accepts), and an address
nothing answers at fails after ``CONNECT_TIMEOUT_S`` seconds, in one line.
"""

from __future__ import annotations

import _thread
import asyncio
import importlib
import multiprocessing
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from typing import Any, TypeVar

from hrsim.errors import ExecutorError, HrsimError, ScenarioError

T = TypeVar("T")
R = TypeVar("R")

#: How local workers start: forked from a single-threaded fork server where the platform has one.
START_METHOD = "forkserver" if "forkserver" in get_all_start_methods() else "spawn"

#: What the fork server imports before it forks a worker, besides the module of the function
#: being run: the coordinator's script if it was started from a file ("__main__"; workers
#: import it anyway), everything a run needs, and what a run would otherwise import lazily.
PRELOAD = ("__main__", "hrsim.runner", "hrsim.batch.sweep", "pyarrow.pandas_compat")

#: Set in the fork server's environment only, unless the coordinator's already sets it:
#: pyarrow's bundled jemalloc starts a background thread when pyarrow is loaded (even where,
#: as here, pyarrow's default memory pool is mimalloc), which would leave the server with a
#: thread when it forks. Workers then run with the coordinator's environment again.
SERVER_ENVIRONMENT = {"JE_ARROW_MALLOC_CONF": "background_thread:false"}

#: Runs in flight per worker: enough to keep every worker busy between hand-overs.
WINDOW_PER_WORKER = 2

#: Seconds to wait for a Dask scheduler to answer before giving up (connection and handshake).
CONNECT_TIMEOUT_S = 10

#: The address schemes Dask's ``distributed`` connects with (``distributed.comm.registry``);
#: an address without one is ``tcp://``.
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")

# HOST:PORT, where HOST is a name, an IPv4 address or a bracketed IPv6 address.
_HOST_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.%\w]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


#: Stops (signal numbers) noted by a signal handler since the process started.
_STOPS: list[int] = []


def note_stop(signum: int) -> None:
    """Note a stop signal, so a local pool stops even if its KeyboardInterrupt is lost."""
    _STOPS.append(signum)


def stops_noted() -> int:
    """How many stops have been noted (compare with the count at the start of a job)."""
    return len(_STOPS)


def check_scheduler_address(address: str) -> str:
    """``address`` if it is a Dask scheduler address; a one-line :class:`ScenarioError` if not.

    Accepted: ``tcp://HOST:PORT`` (also ``tls://``, ``ws://``, ``wss://``, ``ucx://``),
    ``inproc://...`` and a bare ``HOST:PORT`` (Dask reads it as ``tcp://``).
    """
    forms = "expected tcp://HOST:PORT (or tls://, ws://, wss://, ucx://), e.g. tcp://10.0.0.5:8786"
    if not isinstance(address, str) or not address.strip():
        raise ScenarioError(f"scheduler address {address!r} is empty: {forms}")
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in SCHEDULER_SCHEMES:
        raise ScenarioError(f"scheduler address {address!r}: unknown scheme '{scheme}://'; {forms}")
    if scheme == "inproc":
        if rest and rest.isprintable() and " " not in rest:
            return address
        raise ScenarioError(f"scheduler address {address!r} is not an address: {forms}")
    match = _HOST_PORT.fullmatch(rest)
    if match is None:
        raise ScenarioError(f"scheduler address {address!r} is not HOST:PORT: {forms}")
    if not 0 < int(match.group(1)) < 65536:
        raise ScenarioError(
            f"scheduler address {address!r}: port {match.group(1)} is not 1 to 65535"
        )
    return address


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
    if scheduler is not None:
        check_scheduler_address(scheduler)  # now, not once the first result is asked for
    return _execute(fn, items, workers, scheduler, keys)


def _execute[T, R](
    fn: Callable[[T], R],
    items: Sequence[T],
    workers: int | None,
    scheduler: str | None,
    keys: Sequence[str] | None,
) -> Iterator[tuple[int, R]]:
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


def _init_worker(environment: dict[str, str], modules: tuple[str, ...]) -> None:
    """In each local worker: the coordinator's environment and programmes, no Ctrl-C, no orphan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A SIGTERM sent to the worker (say, to the whole process group) stops it, whatever handler
    # its parent had.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The fork server holds the coordinator's environment of the moment it started; a plug-in
    # loaded since then is listed in HRSIM_PLUGINS only in the coordinator's current one.
    if os.environ != environment:
        os.environ.clear()
        os.environ.update(environment)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the coordinator imported it; should it fail here,
            pass  # a run that needs its programme reports the unknown type, as on Dask
    parent = multiprocessing.parent_process()

    def watch() -> None:
        # A killed coordinator (SIGKILL) cannot stop its pool; without this its workers would
        # wait for work forever. The sentinel (a pipe the coordinator holds open) says when it
        # is gone; the fork server, the workers' parent in the process tree, outlives them.
        if parent is not None:
            parent.join()
            os._exit(1)

    threading.Thread(target=watch, name="hrsim-coordinator-watch", daemon=True).start()


_SERVER_LOCK = threading.Lock()


def _start_fork_server(fn: Callable[..., Any]) -> None:
    """Start the fork server (once per process) with everything ``fn``'s runs import."""
    from multiprocessing import forkserver

    module = getattr(fn, "__module__", None)
    preload = [*PRELOAD, module] if isinstance(module, str) else list(PRELOAD)
    with _SERVER_LOCK:
        # Used when the server starts, or restarts after it died; a no-op while it runs.
        forkserver.set_forkserver_preload(list(dict.fromkeys(preload)))
        added = [key for key in SERVER_ENVIRONMENT if key not in os.environ]
        try:
            os.environ.update({key: SERVER_ENVIRONMENT[key] for key in added})
            forkserver.ensure_running()
        finally:
            for key in added:
                os.environ.pop(key, None)


def _programme_modules() -> tuple[str, ...]:
    """Modules outside hrsim whose programmes are registered here, for workers to import.

    A fork server may have started before a plug-in was loaded, and a script's own imports
    happen in its workers only if they are at the top of the script.
    """
    from hrsim.interventions import registered

    try:
        programmes = registered()
    except HrsimError:  # a broken plug-in: the runs report it
        return ()
    names = {cls.__module__ for cls in programmes.values()}
    return tuple(sorted(n for n in names if not n.startswith(("hrsim.", "__main__", "__mp_"))))


def _can_fork_here() -> bool:
    """True when this process may fork its workers directly: it has no thread but this one.

    The usual case for ``hrsim sweep`` and the other commands (``import hrsim`` keeps
    pyarrow's allocator thread off); then workers start at once with everything imported,
    and the fork server's own import (about a second of one core) is saved.
    """
    import hrsim

    if "fork" not in get_all_start_methods() or threading.active_count() != 1:
        return False
    if _thread._count():  # threads started without threading (execnet's, a C library's)
        return False
    if not hrsim._arrow_thread_off:  # pyarrow was loaded before hrsim, with its thread
        return False
    return _native_threads() <= _NATIVE_THREADS_AT_IMPORT


def _native_threads() -> int:
    """Threads of this process as the OS counts them (1 where it cannot say: not Linux)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


# NumPy's OpenBLAS pool starts a thread at import; OpenBLAS re-creates its pool in a forked
# child, and Python 3.12+ does not warn about it. Any thread beyond those present when this
# module is imported (after NumPy, with pyarrow's kept off by ``import hrsim``) means forking
# is unsafe, and workers come from the fork server instead.
_NATIVE_THREADS_AT_IMPORT = _native_threads()


def _on_local_pool[T, R](
    fn: Callable[[T], R], items: Sequence[T], workers: int
) -> Iterator[tuple[int, R]]:
    method = "fork" if _can_fork_here() else START_METHOD
    if method == "forkserver":
        _start_fork_server(fn)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context(method),
        initializer=_init_worker,
        initargs=(dict(os.environ), _programme_modules()),
    )
    pending: dict[Future[R], int] = {}
    next_item = 0
    finished = False
    stops = stops_noted()
    try:
        while next_item < len(items) or pending:
            while next_item < len(items) and len(pending) < workers * WINDOW_PER_WORKER:
                pending[pool.submit(fn, items[next_item])] = next_item  # may fork a worker
                next_item += 1
            if stops_noted() > stops:  # a stop whose KeyboardInterrupt a fork hook dropped
                raise KeyboardInterrupt
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
    # SIGKILL, not SIGTERM: a worker forked a moment ago still has the parent's SIGTERM handler
    # (its initializer resets it only once it runs), would swallow SIGTERM as a dropped
    # KeyboardInterrupt, and the shutdown below would then wait for it forever.
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.kill()


def _on_dask[T, R](
    fn: Callable[[T], R], items: Sequence[T], scheduler: str, keys: Sequence[str] | None
) -> Iterator[tuple[int, R]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise ExecutorError(
            "--scheduler needs Dask: pip install 'hrsim[dist]' (dask[distributed])"
        ) from exc
    _probe(scheduler)
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - gone between the probe and now: one line
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {scheduler}: {_one_line(exc)}"
        ) from None
    # Not copied: a sweep's keys are made on demand (a list of millions would not fit).
    names = keys if keys is not None else [f"hrsim-run-{i}" for i in range(len(items))]
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


def _probe(scheduler: str) -> None:
    """Connect to the scheduler once, with a bounded wait, before a ``Client`` is made.

    A ``Client`` that fails to connect is left half-made, and Python waits another 20 s for it
    to close when it is collected; a plain connection has nothing to close. It runs in a
    thread of its own, so a caller with a running event loop (a notebook) can use it too.
    """
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect
    from distributed.security import Security

    async def attempt() -> None:
        # TLS certificates come from Dask's configuration, as for the Client.
        arguments = Security().get_connection_args("client")
        comm = await connect(scheduler, timeout=CONNECT_TIMEOUT_S, **arguments)
        await comm.close()

    with ThreadPoolExecutor(1, thread_name_prefix="hrsim-dask-probe") as pool:
        try:
            pool.submit(asyncio.run, attempt()).result()
        except OSError as exc:  # refused, timed out, no such host
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {scheduler}: {_one_line(exc)}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - something answered, but not as Dask does
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {scheduler}: what answers there is not a"
                f" Dask scheduler ({type(exc).__name__}: {_one_line(exc)})"
            ) from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _dask_threads(client: Any) -> int:
    try:
        return int(sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - only sizes the window; any answer will do
        return 1
