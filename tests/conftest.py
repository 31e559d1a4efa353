"""Shared helpers for the tests: small models with chosen processes and parameters."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hrsim import HarmReductionModel, Scenario
from hrsim.processes import Process
from hrsim.processes.infections import hcv_infectious

BIN = Path(sys.executable).parent


def isolated_model(
    people: int,
    processes: tuple[type[Process], ...],
    seed: int = 1,
    **overrides: object,
) -> HarmReductionModel:
    """A model running only ``processes``, with dotted-key parameter overrides.

    No burn-in (unless overridden): an isolated process starts from the drawn population,
    whose parameters the tests' expectations are derived from.
    """
    scenario = Scenario.default().with_overrides(
        {
            "run.people": people,
            "run.seed": seed,
            "run.years": 5.0,
            "run.burn_in_years": 0.0,
            "demography.row_headroom": 1.0,
            "demography.initiation_per_1000_by_year": [0.0],
        }
        | overrides
    )
    return HarmReductionModel(scenario, processes=processes)


def within(observed: float, expected: float, se: float, k: float = 3.0) -> bool:
    """``observed`` lies within ``k`` standard errors of ``expected``."""
    return bool(abs(observed - expected) <= k * se + 1e-12)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion."""
    return float(np.sqrt(max(p * (1.0 - p), 0.0) / n))


def hcv_risk_per_person(model: HarmReductionModel) -> np.ndarray:
    """Each person's probability of HCV this week along injecting ties, exactly as the
    infection process defines it: the person's shared injections split among their partners
    who injected this week, syringe and equipment routes, from viraemic partners."""
    p, i = model.people, model.scenario.infection
    a, b = model.network.layers["injecting"].endpoints()  # a: the exposed person
    injected = p.injected_this_week
    partners = np.bincount(a, weights=injected[a] & injected[b], minlength=p.n)
    ok = hcv_infectious(p, i)[b] & ~p.hcv[a] & injected[a] & injected[b]
    a, b = a[ok], b[ok]
    k = partners[a]
    escape = (1 - i.hcv_per_shared_injection) ** (p.receptive_shared_injections[a] / k)
    escape *= (1 - i.hcv_per_shared_equipment) ** (p.equipment_shared_injections[a] / k)
    per_person = np.ones(p.n)
    np.multiply.at(per_person, a, escape)
    return 1 - per_person


# A real Dask cluster on 127.0.0.1, started with the commands a user types.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], log: Path) -> subprocess.Popen:
    # A session of its own: killing the group takes a worker's nanny and process together.
    with open(log, "w") as stderr:  # the process has its own copy of the file
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    scheduler = start(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        tmp_path / "scheduler.log",
    )
    workers = [
        start(
            [
                str(BIN / "dask"),
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"w{i}",
            ],
            tmp_path / f"worker{i}.log",
        )
        for i in range(2)
    ]
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, workers
    finally:
        for process in [*workers, scheduler]:
            stop(process)
