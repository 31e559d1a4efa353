"""A sweep on a real Dask cluster (scheduler and two workers on 127.0.0.1), losing a worker.

The cluster is started with the same commands a user types (``dask scheduler``, ``dask
worker``); one worker is killed (with its nanny, so it does not come back) while runs are in
flight. The sweep still completes, and its results equal a one-process sweep's exactly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hrsim import load_experiment, run_experiment

BIN = Path(sys.executable).parent
SPEC = """
[sweep]
name = "on_dask"
replicates = 6
seed = 3
people = 2500
years = 2

[grid]
interventions.naloxone_distribution.coverage_fraction = [0, 0.6]
"""


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


def test_sweep_on_dask_survives_a_lost_worker_with_identical_results(cluster, tmp_path):
    address, workers = cluster
    spec = tmp_path / "sweep.toml"
    spec.write_text(SPEC)
    out = tmp_path / "on_dask"
    command = [sys.executable, "-m", "hrsim.cli", "sweep", str(spec), "--out", str(out)]
    with open(tmp_path / "stdout.txt", "w") as stdout, open(tmp_path / "stderr.txt", "w") as err:
        sweep = subprocess.Popen([*command, "--scheduler", address], stdout=stdout, stderr=err)
    try:
        deadline = time.monotonic() + 300
        while len(list((out / "runs").glob("*.parquet"))) < 2:
            assert sweep.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "no run finished on the cluster"
            time.sleep(0.02)
        stop(workers[0], signal.SIGKILL)  # lost mid-sweep: its running run is resubmitted
        assert len(list((out / "runs").glob("*.parquet"))) < 12  # runs were still to do
        assert sweep.wait(timeout=600) == 0, (tmp_path / "stderr.txt").read_text()
    finally:
        if sweep.poll() is None:
            sweep.kill()
    scheduler_log = (tmp_path / "scheduler.log").read_text()
    assert "Remove worker" in scheduler_log, scheduler_log  # the scheduler saw it go
    summary = (tmp_path / "stdout.txt").read_text()
    assert "done now             12" in summary and "failed               0" in summary

    reference = run_experiment(spec, tmp_path / "local", workers=1, progress=False)
    on_dask = load_experiment(out)
    assert on_dask.missing == []
    pd.testing.assert_frame_equal(on_dask.outcomes, reference.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(on_dask.series, reference.series, check_exact=True)
    # The same file names (run id and digest of the bytes) and the same bytes.
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(
        p.name for p in (tmp_path / "local" / "runs").iterdir()
    )
    for run_id in reference.done:
        assert on_dask.files[run_id].read_bytes() == reference.files[run_id].read_bytes()


def test_unreachable_scheduler_is_one_line(tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text(SPEC.replace("replicates = 6", "replicates = 1"))
    port = free_port()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hrsim.cli",
            "sweep",
            str(spec),
            "--out",
            str(tmp_path / "s"),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"hrsim: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: "
        + result.stderr.split(f"{port}: ", 1)[1].strip()
    ]
