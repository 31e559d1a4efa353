"""The sweep store's integrity: every changed byte is caught, a lost manifest is rebuilt, and
huge designs are planned without listing their runs. Real stores, real files, the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import hrsim.batch.sweep as sweep_module
from hrsim import load_experiment, run_experiment
from hrsim.batch.store import Store, StoreError, digest_of
from hrsim.batch.sweep import MAX_RUNS, plan_sweep
from hrsim.cli import main

SPEC = """
[sweep]
name = "small"
replicates = 2
seed = 3
people = 100
years = 0.2

[grid]
care.moud_capacity_fraction = [0.1, 0.3]
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished store of 2 arms x 2 replicates (kept pristine: tests work on copies)."""
    root = tmp_path_factory.mktemp("finished")
    spec = root / "small.toml"
    spec.write_text(SPEC)
    experiment = run_experiment(spec, root / "store", workers=1, progress=False)
    return spec, experiment


def copy_store(finished, tmp_path: Path) -> Path:
    _, experiment = finished
    out = tmp_path / "store"
    shutil.copytree(experiment.path, out)
    return out


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("hrsim: error: "), err
    assert "Traceback" not in err
    return err


def file_names(store: Path) -> list[str]:
    return sorted(p.name for p in (store / "runs").iterdir())


# ---------------------------------------------------------------------------------------------
# Every byte


def flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 1 << (offset % 8)  # one bit, a different one from byte to byte
    return bytes(changed)


def test_every_single_byte_flip_is_caught_on_load_and_on_resume(finished, tmp_path):
    spec, original = finished
    store = copy_store(finished, tmp_path)
    victim = store / "runs" / original.files["a0001-r0000"].name
    good = victim.read_bytes()
    assert victim.name == f"a0001-r0000.{digest_of(good)}.parquet"  # as sha256sum shows it
    store_api = Store(store)
    manifest = store_api.read_manifest()
    assert manifest is not None

    def caught(offset: int, others: list[Path]) -> None:
        victim.write_bytes(flip(good, offset))
        with pytest.raises(StoreError) as info:
            load_experiment(store)
        message = str(info.value)
        assert victim.name in message, (offset, message)
        assert not any(p.name in message for p in others), (offset, message)
        assert message.endswith("run the same hrsim sweep command again to redo them")
        found = store_api.scan(manifest, repair=True)
        assert not victim.exists(), offset
        assert sorted(found) == sorted(p.name.split(".")[0] for p in others), offset

    # First with the other runs there, at a stride through the file (they are not named and
    # not dropped); then every byte (rows, footer, magic), with them put aside: every check
    # reads and hashes every file, and the three intact ones would only triple the time.
    others = [store / "runs" / original.files[r].name for r in original.done]
    others.remove(victim)
    for offset in [*range(0, len(good), 499), len(good) - 1]:
        caught(offset, others)
    aside = tmp_path / "aside"
    aside.mkdir()
    for path in others:
        shutil.move(path, aside)
    for offset in range(len(good)):
        caught(offset, [])
    for path in aside.iterdir():
        shutil.move(path, store / "runs")
    # A resume redoes the dropped run and writes the very same bytes under the same name.
    resumed = run_experiment(spec, store, workers=1, progress=False)
    assert (resumed.summary.done_now, resumed.summary.done_before) == (1, 3)
    assert victim.read_bytes() == good
    assert file_names(store) == file_names(original.path)
    pd.testing.assert_frame_equal(resumed.outcomes, original.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(resumed.series, original.series, check_exact=True)


def test_report_refuses_a_damaged_store_and_resume_says_how_many_were_redone(
    finished, tmp_path, capsys
):
    spec, original = finished
    store = copy_store(finished, tmp_path)
    for run_id in ("a0000-r0001", "a0001-r0001"):
        path = store / "runs" / original.files[run_id].name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x10
        path.write_bytes(data)
    assert main(["report", str(store), "--out", str(tmp_path / "r" / "r.html")]) == 2
    err = one_line_error(capsys)
    assert "2 run files are damaged" in err and "run the same hrsim sweep command again" in err
    assert not (tmp_path / "r" / "r.html").exists()
    assert main(["sweep", str(spec), "--out", str(store), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "redone (damaged)     2" in out and "done now             2" in out
    assert file_names(store) == file_names(original.path)


def test_a_changed_page_behind_a_matching_name_fails_its_page_checksum(finished, tmp_path):
    # Should a changed file also be renamed to its new digest, the pages' own checksums still
    # catch a changed value when the series are read.
    _, original = finished
    store = copy_store(finished, tmp_path)
    path = store / "runs" / original.files["a0000-r0000"].name
    data = bytearray(path.read_bytes())
    column = pq.ParquetFile(path).metadata.row_group(0).column(1)
    start = column.dictionary_page_offset or column.data_page_offset
    data[start + column.total_compressed_size - 1] ^= 0x01  # the chunk's last value byte
    path.unlink()
    (store / "runs" / f"a0000-r0000.{digest_of(bytes(data))}.parquet").write_bytes(data)
    experiment = load_experiment(store)  # the footer is intact and the name matches
    with pytest.raises(StoreError, match="damaged run file"):
        experiment.read_series()


# ---------------------------------------------------------------------------------------------
# The manifest


def test_a_deleted_manifest_is_rebuilt_with_repair(finished, tmp_path, capsys):
    spec, original = finished
    store = copy_store(finished, tmp_path)
    (store / "manifest.json").unlink()
    written = {p.name: p.stat().st_mtime_ns for p in (store / "runs").iterdir()}

    assert main(["sweep", str(spec), "--out", str(store), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert "manifest (manifest.json) is missing" in err and "--repair" in err
    assert main(["report", str(store)]) == 2
    err = one_line_error(capsys)
    assert f"hrsim sweep SWEEP.toml --out {store} --repair" in err
    with pytest.raises(StoreError, match="--repair"):
        load_experiment(store)

    assert main(["sweep", str(spec), "--out", str(store), "--repair", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 run files belong to this sweep and would be kept" in out
    assert "0 runs would run" in out
    assert not (store / "manifest.json").exists()  # a dry run changes nothing

    assert main(["sweep", str(spec), "--out", str(store), "--repair"]) == 0
    out = capsys.readouterr().out
    assert "done now             0" in out and "manifest rebuilt" in out
    assert {p.name: p.stat().st_mtime_ns for p in (store / "runs").iterdir()} == written
    rebuilt = load_experiment(store)
    volatile = {"created", "git_commit"}
    assert {k: v for k, v in rebuilt.manifest.items() if k not in volatile} == {
        k: v for k, v in original.manifest.items() if k not in volatile
    }
    pd.testing.assert_frame_equal(rebuilt.outcomes, original.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(rebuilt.series, original.series, check_exact=True)
    assert main(["report", str(store), "--out", str(tmp_path / "a" / "r.html")]) == 0
    assert main(["report", str(original.path), "--out", str(tmp_path / "b" / "r.html")]) == 0
    for csv in sorted((tmp_path / "b").glob("*.csv")):
        assert (tmp_path / "a" / csv.name).read_bytes() == csv.read_bytes()


def test_an_unreadable_manifest_is_rebuilt_and_missing_runs_finished(finished, tmp_path, capsys):
    spec, original = finished
    store = copy_store(finished, tmp_path)
    text = (store / "manifest.json").read_text()
    (store / "manifest.json").write_text(text[: len(text) // 2])  # cut short
    (store / "runs" / original.files["a0001-r0001"].name).unlink()
    assert main(["sweep", str(spec), "--out", str(store), "--quiet"]) == 2
    assert "unreadable manifest" in one_line_error(capsys)
    assert main(["sweep", str(spec), "--out", str(store), "--repair"]) == 0
    out = capsys.readouterr().out
    assert "done now             1" in out and "already done before  3" in out
    assert file_names(store) == file_names(original.path)
    assert load_experiment(store).missing == []


def test_repair_refuses_a_run_file_of_another_sweep_and_deletes_nothing(finished, tmp_path, capsys):
    spec, original = finished
    store = copy_store(finished, tmp_path)
    (store / "manifest.json").unlink()
    other = tmp_path / "other.toml"
    other.write_text(SPEC.replace("seed = 3", "seed = 4"))
    other_store = run_experiment(other, tmp_path / "other", workers=1, progress=False)
    stranger = other_store.files["a0000-r0000"]
    (store / "runs" / original.files["a0000-r0000"].name).unlink()
    shutil.copy(stranger, store / "runs")
    before = file_names(store)
    for extra in ([], ["--dry-run"]):
        assert main(["sweep", str(spec), "--out", str(store), "--repair", *extra]) == 2
        err = one_line_error(capsys)
        assert "belong to a different sweep" in err and stranger.name in err
    assert file_names(store) == before and not (store / "manifest.json").exists()


def test_a_store_of_an_older_format_is_one_line(finished, tmp_path, capsys):
    spec, _ = finished
    store = copy_store(finished, tmp_path)
    manifest = json.loads((store / "manifest.json").read_text())
    manifest["format"] = "hrsim-sweep/1"
    (store / "manifest.json").write_text(json.dumps(manifest))
    assert main(["report", str(store)]) == 2
    assert "store format hrsim-sweep/1, this hrsim reads hrsim-sweep/2" in one_line_error(capsys)
    assert main(["sweep", str(spec), "--out", str(store), "--repair", "--quiet"]) == 2
    assert "store format hrsim-sweep/1" in one_line_error(capsys)


# ---------------------------------------------------------------------------------------------
# Huge designs


def big_grid(tmp_path: Path, bad: object = None) -> Path:
    first = [round(0.0005 + i * 0.0009, 6) for i in range(1000)]
    if bad is not None:
        first[-1] = bad
    second = [round(0.01 + i * 0.009, 4) for i in range(100)]
    path = tmp_path / "big.toml"
    path.write_text(
        "[sweep]\nreplicates = 1000\npeople = 100\nyears = 0.2\n[grid]\n"
        f"care.moud_capacity_fraction = {first}\ncare.aftercare_fraction = {second}\n"
    )
    return path


def test_dry_run_of_a_hundred_million_runs_answers_without_building_every_arm(
    tmp_path, capsys, monkeypatch
):
    calls = []
    real = sweep_module._apply

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "_apply", counted)
    spec = big_grid(tmp_path)
    assert main(["sweep", str(spec), "--dry-run", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sweep big: 100,000 arms x 1,000 replicates = 100,000,000 runs")
    assert f"more than the {MAX_RUNS:,} runs" in out[1]
    assert out[2].startswith("  a0000  moud_capacity_fraction=0.0005, aftercare_fraction=0.01")
    assert out[-1] == "  ... and 99,980 more" and len(out) == 2 + 20 + 1
    # Each of the 1,100 values once (checked alone), the 20 arms shown, the [sweep] sizes.
    assert len(calls) < 1200, len(calls)
    assert not (tmp_path / "s").exists()
    plan = plan_sweep(spec)
    assert len(plan.run_ids) == 100_000_000 and "manifest" not in vars(plan)
    assert plan.run_ids[12_345_678] == "a12345-r0678"
    assert plan.run_ids.index("a99999-r0999") == 99_999_999
    assert plan.arms[99_999].parameters == {
        "care.moud_capacity_fraction": 0.8996,
        "care.aftercare_fraction": 0.901,
    }


def test_a_huge_sweep_is_refused_in_one_line_and_a_bad_value_is_caught_in_a_dry_run(
    tmp_path, capsys
):
    spec = big_grid(tmp_path)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "s"), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert f"100,000,000 runs; a sweep may have at most {MAX_RUNS:,}" in err
    assert not (tmp_path / "s").exists()
    spec = big_grid(tmp_path, bad=1.5)
    assert main(["sweep", str(spec), "--dry-run"]) == 2
    assert "care.moud_capacity_fraction = 1.5 is out of range" in one_line_error(capsys)
