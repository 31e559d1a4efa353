"""Will a run fit in memory? An estimate from the measured cost per person, checked up front.

A run's arrays (people, three tie layers, hooks, the weekly record) grow with the population;
the event log grows with person-years. Building a model too large for the machine used to end,
after minutes, in a ``MemoryError`` traceback (20,000,000 people, the allowed maximum, needs
about 16 GB). :func:`check_memory` compares the estimate with the memory this process can
still get and refuses, in one line, a run (or a set of runs at once) that would not fit,
naming the largest population that does.

What "can still get" means: the smallest of the machine's ``MemAvailable`` (``/proc/meminfo``;
``os.sysconf`` elsewhere), the room left under a cgroup memory limit (containers, batch
queues) and the room left under this process's address-space limit (``ulimit -v``). Where
none can be read the check passes. Setting ``HRSIM_MEMORY_CHECK=off`` skips it (a machine
with ample swap, say).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

from hrsim.errors import ScenarioError

# Measured with ``python benchmarks/bench_memory.py`` (peak RSS of fresh processes, Python
# 3.13, baseline scenario; benchmarks/results/bench_memory-*.json). Fitted lines, people =
# 100k, 300k, 1M: ``hrsim run`` (event log on) 772 bytes/person + 213 MB at 1 year and
# 807 bytes/person + 255 MB at 10 years; ``run_model`` without the event log (a sweep's
# runs) 787-789 bytes/person + 170 MB at 1 and 10 years; and 3M people for 1 year took
# 2,425 MB against 920 MB for 1M (789 bytes/person: linear). The constants round these up.

#: Memory of a process that runs a model, whatever its size: interpreter, NumPy, pandas,
#: pyarrow, Mesa and the run's fixed results.
FIXED_BYTES = 260 * 2**20

#: Memory per person of the population (arrays, ties, the Mesa-free state), at its peak.
BYTES_PER_PERSON = 820

#: Memory per person-year of the event log, when it is on (``hrsim run``; sweeps keep none):
#: 1M people went from 941 MB at 1 year to 1,020 MB at 10 years, about 9 bytes a person-year.
EVENT_BYTES_PER_PERSON_YEAR = 10

#: Share of the available memory a run may plan to use: the rest is left to the system, the
#: page cache and estimation error.
HEADROOM = 0.9

#: The environment variable that turns the check off (``off``, ``0``, ``no`` or ``false``).
SKIP_VARIABLE = "HRSIM_MEMORY_CHECK"


def estimate_bytes(people: int, years: float, *, events: bool = False) -> int:
    """Peak memory of one run of ``people`` for ``years`` (with the event log if ``events``)."""
    per_person = BYTES_PER_PERSON + (EVENT_BYTES_PER_PERSON_YEAR * years if events else 0.0)
    return int(FIXED_BYTES + people * per_person)


def available_bytes() -> int | None:
    """Memory this process can still get, in bytes (None when nothing says)."""
    found = [
        n
        for n in (_mem_available(), _cgroup_room(), _address_space_room())
        if n is not None and n >= 0
    ]
    return min(found) if found else None


def largest_population(years: float, processes: int = 1, *, events: bool = False) -> int:
    """The most people per run that fit ``processes`` runs at once.

    0 when not even the smallest run fits; -1 when nothing says how much memory there is.
    """
    available = available_bytes()
    if available is None:
        return -1
    return _largest(available, years, processes, events)


def check_memory(people: int, years: float, processes: int = 1, *, events: bool = False) -> None:
    """Raise a one-line :class:`ScenarioError` if ``processes`` runs of ``people`` do not fit.

    Args:
        people: the population of each run.
        years: each run's horizon (it matters only with the event log).
        processes: how many such runs are in memory at once (a sweep's workers).
        events: whether the runs keep the event log (``hrsim run`` does; sweeps do not).
    """
    if os.environ.get(SKIP_VARIABLE, "").strip().lower() in {"off", "0", "no", "false"}:
        return
    available = available_bytes()
    if available is None:
        return
    processes = max(1, processes)
    need = processes * estimate_bytes(people, years, events=events)
    if need <= HEADROOM * available:
        return
    most = _largest(available, years, processes, events)
    if processes == 1:
        what = f"run.people = {people:,} needs about {_size(need)} of memory"
        fits = f"at most {most:,} people fit" if most else "not even the smallest run fits"
    else:
        what = f"{processes} runs at once of {people:,} people need about {_size(need)} of memory"
        fits = (
            f"at most {most:,} people per run fit {processes} at a time (or use fewer workers)"
            if most
            else "use fewer workers"
        )
    raise ScenarioError(
        f"{what}, but {_size(available)} is available; {fits} "
        f"(set {SKIP_VARIABLE}=off to try anyway)"
    )


def _largest(available: int, years: float, processes: int, events: bool) -> int:
    per_person = BYTES_PER_PERSON + (EVENT_BYTES_PER_PERSON_YEAR * years if events else 0.0)
    room = HEADROOM * available / max(1, processes) - FIXED_BYTES
    if room < 10 * per_person:  # the smallest population a scenario allows
        return 0
    most = int(room / per_person)
    keep = 10 ** max(0, int(math.log10(most)) - 1)  # two significant figures, rounded down
    return min(20_000_000, most // keep * keep)


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def _mem_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_room() -> int | None:
    """Room under the cgroup's memory limit (v2, else v1), if there is a limit."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            limit = Path(limit_file).read_text().strip()
            if limit == "max" or int(limit) >= 2**60:  # v1 writes "no limit" as a huge number
                return None
            return int(limit) - int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
    return None


def _address_space_room() -> int | None:
    """Room under this process's memory limits (``ulimit -v`` and ``ulimit -d``), if any.

    ``RLIMIT_AS`` bounds the whole address space (``VmSize``); ``RLIMIT_DATA`` bounds private
    writable memory, which on Linux 4.7+ includes anonymous mappings such as NumPy's arrays
    (``VmData``). Either can end a run in a MemoryError.
    """
    if resource is None:
        return None
    try:
        status = {
            key: int(rest.split()[0]) * 1024
            for key, _, rest in (
                line.partition(":") for line in Path("/proc/self/status").read_text().splitlines()
            )
            if key in ("VmSize", "VmData")
        }
    except (OSError, ValueError, IndexError):
        return None
    rooms = []
    for limit, used in ((resource.RLIMIT_AS, "VmSize"), (resource.RLIMIT_DATA, "VmData")):
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY and used in status:
            rooms.append(soft - status[used])
    return min(rooms) if rooms else None
