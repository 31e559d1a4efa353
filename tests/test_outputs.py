"""Output folders (``hrsim.outputs``): nothing the user did not ask to replace is ever deleted.

The policy is exercised here on real folders, in-process; the commands themselves (as
subprocesses) are in test_cli.py. Disk full is real: a 512 kB tmpfs, mounted where that is
permitted (root in this sandbox and in CI containers), skipped with the reason elsewhere.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hrsim import outputs
from hrsim.outputs import MARKER, OutputError, WriteError, check_page, prepare

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def write_output(out: Path, kind: str = "run", files=None, force: bool = False) -> Path:
    """An output of ``kind`` with the given files (name -> text), written through the policy."""
    output = prepare(out, kind, force=force)
    with output.staging() as tmp:
        for name, text in (files or {"metadata.json": '{"hrsim_version": "x"}'}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return output.path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


# -- what may be replaced ------------------------------------------------------------------


def test_new_and_empty_folders_are_written_with_a_marker(tmp_path):
    new = write_output(tmp_path / "a" / "new")
    marker = json.loads((new / MARKER).read_text())
    assert marker["kind"] == "run" and marker["files"] == ["metadata.json"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_output(empty)
    assert sorted(p.name for p in empty.iterdir()) == [MARKER, "metadata.json"]
    assert siblings(new) == [] and siblings(empty) == []


def test_a_previous_output_of_the_same_kind_is_replaced_whole(tmp_path):
    out = write_output(tmp_path / "r", files={"metadata.json": "old", "events.parquet": "old"})
    write_output(out, files={"metadata.json": "new"})
    assert snapshot(out).keys() == {MARKER, "metadata.json"}  # the old events file went with it
    assert (out / "metadata.json").read_text() == "new"
    assert siblings(out) == []


def test_replacing_without_an_atomic_exchange_renames_aside_then_in(tmp_path, monkeypatch):
    out = write_output(tmp_path / "r", files={"metadata.json": "old"})
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)  # as on a system without it
    write_output(out, files={"metadata.json": "new"})
    assert (out / "metadata.json").read_text() == "new"
    assert siblings(out) == []


def test_a_failure_while_writing_leaves_the_previous_results(tmp_path):
    out = write_output(tmp_path / "r", files={"metadata.json": "old"})
    before = snapshot(out)
    output = prepare(out, "run")
    with pytest.raises(RuntimeError, match="crash"), output.staging() as tmp:
        (tmp / "metadata.json").write_text("half")
        raise RuntimeError("crash")
    assert snapshot(out) == before
    assert siblings(out) == []


def test_an_os_error_while_writing_is_one_line_saying_what_was_kept(tmp_path):
    out = write_output(tmp_path / "r", files={"metadata.json": "old"})
    output = prepare(out, "run")
    with pytest.raises(WriteError) as caught, output.staging() as tmp:
        (tmp / "timeseries.parquet").write_bytes(b"x" * 1500)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    message = str(caught.value)
    assert "\n" not in message and caught.value.errno == errno.ENOSPC
    assert "no space left on device (errno 28)" in message
    assert "1.5 kB" in message and f"previous results in {out} are untouched" in message
    assert (out / "metadata.json").read_text() == "old"
    assert siblings(out) == []


def test_a_folder_written_before_the_marker_existed_is_recognised(tmp_path):
    legacy = tmp_path / "old-run"
    legacy.mkdir()
    (legacy / "metadata.json").write_text('{"hrsim_version": "0.0.9"}')
    (legacy / "timeseries.parquet").write_text("old")
    assert prepare(legacy, "run").replaces
    # The same files without hrsim's metadata are not taken for a run.
    (legacy / "metadata.json").write_text("{}")
    with pytest.raises(OutputError, match="is not empty and is not a run's results"):
        prepare(legacy, "run")


# -- what is refused -----------------------------------------------------------------------


def test_a_folder_of_user_files_is_refused_in_one_line_and_kept(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "n").write_text("x")
    with pytest.raises(OutputError) as caught:
        prepare(keep, "run")
    message = str(caught.value)
    assert "\n" not in message
    assert f"--out {keep} is not empty" in message and "(it has n)" in message
    assert "--force" in message
    assert (keep / "n").read_text() == "x"


def test_user_files_added_to_a_previous_output_are_not_deleted_by_a_rerun(tmp_path):
    out = write_output(tmp_path / "r")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"also files hrsim did not write \(notes.txt\)"):
        prepare(out, "run")
    write_output(out, files={"metadata.json": "new"}, force=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "metadata.json").read_text() == "new"


def test_force_replaces_only_hrsim_files_and_keeps_the_users(tmp_path):
    out = write_output(tmp_path / "r", files={"metadata.json": "old", "events.parquet": "old"})
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "data.csv").write_text("mine too")
    write_output(out, files={"metadata.json": "new"}, force=True)
    assert snapshot(out).keys() == {MARKER, "metadata.json", "notes.txt", "sub/data.csv"}
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "sub" / "data.csv").read_text() == "mine too"
    assert (out / "metadata.json").read_text() == "new"
    # Into a folder of user files that hrsim never wrote: the files are added, none removed.
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "n").write_text("x")
    write_output(plain, force=True)
    assert (plain / "n").read_text() == "x" and (plain / "metadata.json").exists()


def test_another_kind_of_output_is_refused(tmp_path):
    out = write_output(tmp_path / "cal", "calibrate", files={"calibration.json": "{}"})
    with pytest.raises(OutputError, match="holds a calibration's results, not a run's results"):
        prepare(out, "run")


def test_a_sweep_store_is_refused_even_with_force(tmp_path):
    store = tmp_path / "store"
    (store / "runs").mkdir(parents=True)
    (store / "manifest.json").write_text(json.dumps({"format": "hrsim-sweep/1"}))
    for force in (False, True):
        with pytest.raises(OutputError, match="is a sweep store .*--force included"):
            prepare(store, "run", force=force)


def test_the_current_directory_its_parents_home_and_root_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cases = {
        ".": "the current directory",
        str(work): "the current directory",
        "..": "a folder above the current directory",
        str(tmp_path / "home"): "a folder above the current directory",
        "/": "the root folder",
    }
    for out, why in cases.items():
        for force in (False, True):
            with pytest.raises(OutputError, match=why):
                prepare(out, "run", force=force)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(work))
    with pytest.raises(OutputError, match="your home folder"):
        prepare(work, "run", force=True)


def test_symlinks_are_followed_or_refused_in_one_line(tmp_path):
    target = write_output(tmp_path / "target", files={"metadata.json": "old"})
    link = tmp_path / "link"
    link.symlink_to(target)
    assert write_output(link, files={"metadata.json": "new"}) == target
    assert link.is_symlink() and (target / "metadata.json").read_text() == "new"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="is a symlink to .*nowhere, which does not exist"):
        prepare(dangling, "run")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OutputError, match="loop"):
        prepare(loop, "run")


def test_a_file_where_a_folder_is_wanted_is_one_line(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        prepare(tmp_path / "f", "run")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        prepare(tmp_path / "f" / "below", "run")


def test_a_page_is_replaced_only_if_hrsim_wrote_it(tmp_path):
    page = tmp_path / "v.html"
    assert check_page(page, "hrsim validation", option="--html") == page
    page.write_text("<html><title>hrsim validation: x</title>")
    check_page(page, "hrsim validation", option="--html")
    page.write_text("my notes")
    with pytest.raises(OutputError, match="is not a page hrsim wrote"):
        check_page(page, "hrsim validation", option="--html")
    check_page(page, "hrsim validation", option="--html", force=True)
    with pytest.raises(OutputError, match="is a directory"):
        check_page(tmp_path, "hrsim validation", option="--html")


# -- disk full, for real -------------------------------------------------------------------


def hrsim(*args, cwd, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "hrsim.cli", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False, **kwargs,
    )  # fmt: skip


@pytest.fixture
def small_disk(tmp_path):
    """A 512 kB file system of its own (tmpfs), unmounted afterwards (a sweep of 6 tiny runs,
    about 48 kB each with the issue 15 columns, must fit once the filler is gone)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not permitted here: {proc.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` up, then free ``leave`` bytes of it; returns the filler file."""
    filler = disk / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def test_disk_full_in_run_is_one_line_and_the_previous_results_stay(small_disk, tmp_path):
    out = small_disk / "r"
    run = ("run", "--people", 100, "--years", 0.1, "--quiet", "--out", out)
    assert hrsim(*run, cwd=tmp_path).returncode == 0
    before = snapshot(out)
    fill(small_disk, leave=8192)

    proc = hrsim(*run, "--seed", 5, "--force", cwd=tmp_path)  # other settings: --force

    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "no space left on device (errno 28)" in lines[0]
    assert "were written" in lines[0] and f"previous results in {out} are untouched" in lines[0]
    assert snapshot(out) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "r"]


def test_disk_full_in_a_sweep_keeps_the_finished_runs_and_says_how_many(small_disk, tmp_path):
    spec = tmp_path / "tiny.toml"
    scenarios = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "prep.toml")]
    spec.write_text(
        '[sweep]\nname = "tiny"\nreplicates = 3\nseed = 3\npeople = 150\nyears = 0.2\n'
        f"scenarios = {json.dumps(scenarios)}\n"
    )
    store = small_disk / "store"
    filler = fill(small_disk, leave=64 * 1024)  # the manifest and about two runs

    proc = hrsim("sweep", spec, "--out", store, "--workers", 1, "--quiet", cwd=tmp_path)

    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    finished = sorted((store / "runs").glob("*.parquet"))
    assert 0 < len(finished) < 6
    assert f"could not write the sweep store {store}: no space left on device" in lines[0]
    assert f"{len(finished)} of 6 runs are finished and kept" in lines[0]
    # With room again, the same command finishes the rest.
    filler.unlink()
    again = hrsim("sweep", spec, "--out", store, "--workers", 1, "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(list((store / "runs").glob("*.parquet"))) == 6


def test_a_file_size_limit_efbig_is_one_line_and_writes_nothing(tmp_path):
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    out = tmp_path / "r"
    proc = hrsim(
        "run", "--people", 100, "--years", 0.1, "--quiet", "--out", out,
        cwd=tmp_path, preexec_fn=limit,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "file too large (errno 27)" in lines[0]
    assert not out.exists() and siblings(out) == []
