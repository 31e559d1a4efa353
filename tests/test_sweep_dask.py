"""A sweep on a real Dask cluster (scheduler and two workers on 127.0.0.1), losing a worker.

The cluster is started with the same commands a user types (``dask scheduler``, ``dask
worker``); one worker is killed (with its nanny, so it does not come back) while runs are in
flight. The sweep still completes, and its results equal a one-process sweep's exactly.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import free_port, stop
from hrsim import load_experiment, run_experiment
from hrsim.batch.executors import CONNECT_TIMEOUT_S, check_scheduler_address, execute
from hrsim.errors import ScenarioError

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
    start_time = time.monotonic()
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
    elapsed = time.monotonic() - start_time
    assert result.returncode == 1
    assert elapsed < CONNECT_TIMEOUT_S + 20  # bounded: no 20 s wait for a half-made Client
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"hrsim: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: "
        + result.stderr.split(f"{port}: ", 1)[1].strip()
    ]


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:8786", "127.0.0.1:8786", "tls://dask.example.org:8786", "[::1]:8786",
     "tcp://[fe80::1%eth0]:8786", "ws://h:1", "wss://h-1.example:443", "ucx://10.0.0.5:13337",
     "inproc://10.0.0.5/1234/1"],
)  # fmt: skip
def test_the_addresses_dask_accepts_are_accepted(address):
    assert check_scheduler_address(address) == address


BAD_ADDRESSES = {
    "not a url": "is not HOST:PORT",
    "http://h:8786": "unknown scheme 'http://'",
    "tcp://h": "is not HOST:PORT",
    "tcp://h:0": "port 0 is not 1 to 65535",
    "tcp://h:65536": "port 65536 is not 1 to 65535",
    "tcp://h:8786/x": "is not HOST:PORT",
    "::1:8786": "is not HOST:PORT",
    "": "is empty",
}


@pytest.mark.parametrize("address", list(BAD_ADDRESSES))
def test_a_malformed_address_is_refused_before_any_run(address):
    with pytest.raises(ScenarioError) as info:
        execute(abs, [1, 2], scheduler=address)  # at the call, before anything is iterated
    message = str(info.value)
    assert BAD_ADDRESSES[address] in message and repr(address) in message and "\n" not in message
    assert "tcp://HOST:PORT" in message or "65535" in message


def test_a_malformed_address_on_the_command_line_is_one_line_exit_2(tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text(SPEC.replace("replicates = 6", "replicates = 1"))
    start_time = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "sweep", str(spec), "--out", str(tmp_path / "s"),
         "--scheduler", "not a url", "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "hrsim: error: scheduler address 'not a url' is not HOST:PORT: expected tcp://HOST:PORT"
        " (or tls://, ws://, wss://, ucx://), e.g. tcp://10.0.0.5:8786"
    ]
    assert time.monotonic() - start_time < 60  # no connection attempted, no 20 s hang


def test_something_that_is_not_a_scheduler_is_one_line(tmp_path):
    # A plain TCP server that answers with bytes Dask cannot read as a handshake.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello" * 10)
                time.sleep(2)

        import threading

        threading.Thread(target=answer, daemon=True).start()
        start_time = time.monotonic()
        with pytest.raises(Exception) as info:
            list(execute(abs, [1], scheduler=f"tcp://127.0.0.1:{port}"))
    assert type(info.value).__name__ == "ExecutorError"
    assert str(info.value).startswith(f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert "\n" not in str(info.value)
    assert time.monotonic() - start_time < CONNECT_TIMEOUT_S + 10


PSA_RUN = '[run]\nname = "{name}"\npeople = 300\nyears = 1.0\nburn_in_years = 0.0\n'
PSA_ARMS = {
    "base": PSA_RUN.format(name="baseline"),
    "naloxone": PSA_RUN.format(name="naloxone")
    + '[[interventions]]\ntype = "naloxone_distribution"\n',
    "moud": PSA_RUN.format(name="moud") + '[[interventions]]\ntype = "moud_expansion"\n',
}


def test_psa_on_dask_equals_one_and_two_local_workers(cluster, tmp_path):
    from hrsim.analysis.psa import load_psa, plan_psa, run_psa
    from hrsim.scenario import load_scenario

    address, _ = cluster
    for name, text in PSA_ARMS.items():
        (tmp_path / f"{name}.toml").write_text(text)
    files = [str(tmp_path / f"{n}.toml") for n in PSA_ARMS]
    options = ["--samples", "4", "--replicates", "2", "--seed", "3"]
    out = tmp_path / "on_dask"
    result = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "psa", *files, *options, "--out", str(out),
         "--scheduler", address, "--quiet"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    on_dask = load_psa(out)
    assert len(on_dask.runs) == 24 and on_dask.missing == 0

    scenarios = [load_scenario(f) for f in files]
    for workers in (1, 2):
        plan = plan_psa(scenarios[0], scenarios[1:], samples=4, replicates=2, seed=3)
        local = tmp_path / f"local{workers}"
        data, _ = run_psa(plan, local, workers=workers, progress=False)
        pd.testing.assert_frame_equal(on_dask.runs, data.runs, check_exact=True)
        pd.testing.assert_frame_equal(on_dask.samples, data.samples, check_exact=True)
        names = sorted(p.name for p in (out / "runs").iterdir())
        assert names == sorted(p.name for p in (local / "runs").iterdir())
        for name in names:  # the same bytes, so the same digests in the names
            assert (out / "runs" / name).read_bytes() == (local / "runs" / name).read_bytes()
        for name in ("samples.csv", "psa.csv", "summary.json"):
            assert (out / name).read_bytes() == (local / name).read_bytes()
