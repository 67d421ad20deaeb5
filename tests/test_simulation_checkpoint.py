"""Sweep checkpoints: verified before they are trusted, failures recorded, nothing deleted."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError, LoadError, SweepError
from kpmodel.simulation import _checkpoint

LEVERS = {"border_controls": [0.0, 0.4]}


@pytest.fixture(scope="module")
def congo():
    return kp.simulation.builtin("congo-brazzaville-2004")


@pytest.fixture(scope="module")
def expected(congo):
    return kp.simulation.sweep(congo, levers=LEVERS, seeds=2, progress=False)


@pytest.fixture(scope="module")
def pristine(congo, tmp_path_factory):
    """A finished checkpoint of the LEVERS sweep, copied by each test that damages it."""
    folder = tmp_path_factory.mktemp("pristine")
    kp.simulation.sweep(congo, levers=LEVERS, seeds=2, checkpoint=folder, progress=False)
    return folder


@pytest.fixture
def folder(pristine, tmp_path):
    copy = tmp_path / "checkpoint"
    shutil.copytree(pristine, copy)
    return copy


def resume(congo, folder, **options):
    options = {"levers": LEVERS, "seeds": 2, **options}
    return kp.simulation.sweep(congo, checkpoint=folder, progress=False, **options)


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_checkpoint_files_are_canonical_sealed_json(folder, expected):
    """One manifest, one run file per run; each file carries the hash of its content."""
    assert files(folder) == [f"run-{i:06d}.json" for i in range(4)] + ["sweep.json"]
    manifest = json.loads((folder / "sweep.json").read_text())
    assert manifest["kpmodel"] == kp.__version__
    assert manifest["runs"] == 4
    run = json.loads((folder / "run-000002.json").read_text())
    assert (run["run_id"], run["seed"], run["values"]) == (2, 0, {"border_controls": 0.4})
    assert run["columns"] == ["definition", "metric", "detector", "value"]
    assert len(run["sha256"]) == 64


def test_resume_of_an_intact_checkpoint_gives_the_table(congo, folder, expected):
    pd.testing.assert_frame_equal(resume(congo, folder), expected)


def test_run_file_copied_over_another_is_refused(congo, folder):
    shutil.copyfile(folder / "run-000001.json", folder / "run-000003.json")
    before = files(folder)
    with pytest.raises(LoadError, match=r"run-000003\.json: holds run 1, not run 3"):
        resume(congo, folder)
    assert files(folder) == before  # nothing deleted


def test_run_file_missing_a_column_is_refused(congo, folder):
    path = folder / "run-000000.json"
    record = json.loads(path.read_text())
    record["columns"] = record["columns"][:-1]
    record["rows"] = [row[:-1] for row in record["rows"]]
    path.write_text(json.dumps(record))
    with pytest.raises(LoadError, match=r"run-000000\.json: .*not a file kpmodel wrote|changed"):
        resume(congo, folder)


def test_run_file_missing_a_column_resealed_is_refused(congo, folder):
    """Even re-sealed with a correct hash, a run without its value column is refused."""
    path = folder / "run-000000.json"
    record = json.loads(path.read_text())
    record["columns"] = record["columns"][:-1]
    record["rows"] = [row[:-1] for row in record["rows"]]
    path.write_bytes(_checkpoint._sealed(record))
    with pytest.raises(LoadError, match=r"run-000000\.json: has the columns"):
        resume(congo, folder)


def test_value_edited_inside_a_valid_file_is_refused(congo, folder):
    path = folder / "run-000002.json"
    text = path.read_text()
    record = json.loads(text)
    old = record["rows"][0][3]
    record["rows"][0][3] = old + 1.0
    edited = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    path.write_text(edited)
    with pytest.raises(LoadError, match=r"run-000002\.json: was changed after kpmodel wrote it"):
        resume(congo, folder)


def test_manifest_removed_and_checkpoint_reused_for_another_sweep_is_refused(congo, folder):
    (folder / "sweep.json").unlink()
    before = files(folder)
    with pytest.raises(LoadError, match=r"sweep\.json: is missing, but the directory holds run"):
        resume(congo, folder, levers={"border_controls": [0.9, 0.1]})
    assert files(folder) == before


def test_manifest_removed_and_replaced_by_another_sweeps_is_refused(congo, folder, tmp_path):
    """Runs from one sweep under the manifest of another: every run file is named."""
    other = tmp_path / "other"
    levers = {"border_controls": [0.9, 0.1]}
    kp.simulation.sweep(congo, levers=levers, seeds=1, checkpoint=other, progress=False)
    shutil.copyfile(other / "sweep.json", folder / "sweep.json")
    with pytest.raises(LoadError) as caught:
        kp.simulation.sweep(congo, levers=levers, seeds=1, checkpoint=folder, progress=False)
    named = {p.path for p in caught.value.problems if p.path}
    assert named == {f"run-{i:06d}.json" for i in range(4)}
    assert all("another sweep" in p.message for p in caught.value.problems if p.path)


def test_damaged_manifest_is_refused(congo, folder):
    (folder / "sweep.json").write_text('{"fingerprint": "0"}')
    with pytest.raises(LoadError, match=r"sweep\.json: is not a file kpmodel wrote"):
        resume(congo, folder)


def test_foreign_and_duplicated_run_names_are_refused(congo, folder):
    shutil.copyfile(folder / "run-000001.json", folder / "run-1.json")
    shutil.copyfile(folder / "run-000001.json", folder / "run-000009.json")
    with pytest.raises(LoadError) as caught:
        resume(congo, folder)
    messages = {p.path: p.message for p in caught.value.problems}
    assert "is not a run file this sweep writes" in messages["run-1.json"]
    assert "holds run 1, not run 9" in messages["run-000009.json"]


def test_resume_across_kpmodel_versions_is_refused(congo, folder, monkeypatch):
    written = re.escape(repr(kp.__version__))  # the version that wrote the checkpoint
    monkeypatch.setattr(kp, "__version__", "99.0.0")
    with pytest.raises(InvalidArgumentError, match=rf"written by kpmodel {written}.*'99\.0\.0'"):
        resume(congo, folder)


def test_another_scenario_content_is_another_sweep(congo, folder):
    """The fingerprint holds the scenario's content, not only its name."""
    changed = congo.with_levers(monitoring_coverage=0.5)
    assert changed.name == congo.name
    with pytest.raises(InvalidArgumentError, match="its scenario differ"):
        resume(changed, folder)


def test_user_files_in_the_directory_are_left_alone(congo, folder, expected):
    (folder / "notes.txt").write_text("my notes")
    pd.testing.assert_frame_equal(resume(congo, folder), expected)
    assert (folder / "notes.txt").read_text() == "my notes"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_single_byte_edit_of_a_run_file_is_refused(congo, pristine, tmp_path, data):
    """Change one byte anywhere in a run file: the sweep refuses the file, by name."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path)) / "checkpoint"
    shutil.copytree(pristine, folder)
    name = data.draw(st.sampled_from([f"run-{i:06d}.json" for i in range(4)]))
    path = folder / name
    raw = bytearray(path.read_bytes())
    at = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != raw[at]))
    raw[at] = byte
    path.write_bytes(bytes(raw))
    with pytest.raises(LoadError, match=re.escape(name)):
        resume(congo, folder)
    assert path.read_bytes() == bytes(raw)


class FailSome:
    """An executor that runs in this process, failing the runs with the seeds it is given."""

    def __init__(self, failing_seeds):
        self.failing = failing_seeds

    def submit(self, fn, scenario, levers, seed, *rest):
        future = Future()
        if seed in self.failing:
            future.set_exception(RuntimeError(f"worker lost at seed {seed}"))
        else:
            future.set_result(fn(scenario, levers, seed, *rest))
        return future


def test_failed_runs_are_recorded_and_retried_on_resume(congo, tmp_path, expected):
    folder = tmp_path / "cp"
    with pytest.raises(SweepError) as caught:
        kp.simulation.sweep(
            congo, levers=LEVERS, seeds=2, executor=FailSome({1}), checkpoint=folder,
            progress=False,
        )  # fmt: skip
    error = caught.value
    assert list(error.failures.run_id) == [1, 3]
    assert list(error.failures.border_controls) == [0.0, 0.4]
    assert set(error.failures.error) == {"RuntimeError: worker lost at seed 1"}
    pd.testing.assert_frame_equal(error.table, expected[expected.seed == 0].reset_index(drop=True))
    assert "run 1 (seed 1, border_controls=0.0): RuntimeError" in str(error)
    assert files(folder) == [
        "failed-000001.json", "failed-000003.json", "run-000000.json", "run-000002.json",
        "sweep.json",
    ]  # fmt: skip
    record = json.loads((folder / "failed-000003.json").read_text())
    assert record["error"] == "RuntimeError: worker lost at seed 1"
    pd.testing.assert_frame_equal(resume(congo, folder), expected)


def test_failure_without_checkpoint_keeps_the_other_runs(congo, expected):
    with pytest.raises(SweepError) as caught:
        kp.simulation.sweep(
            congo, levers=LEVERS, seeds=2, executor=FailSome({0, 1}), progress=False
        )
    assert len(caught.value.failures) == 4
    assert caught.value.table.empty


def test_sweep_error_pickles():
    import pickle

    failures = pd.DataFrame({"run_id": [1], "seed": [0], "error": ["ValueError: x"]})
    error = SweepError(failures, table=pd.DataFrame({"a": [1]}))
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    pd.testing.assert_frame_equal(again.table, error.table)


def test_runs_are_saved_as_they_finish_not_in_plan_order(congo, tmp_path, expected):
    """Run 0 finishes only once run 3 is on disk: saving in plan order would never get there."""
    folder = tmp_path / "cp"

    class Gate(ThreadPoolExecutor):
        def submit(self, fn, scenario, levers, seed, *rest):
            def task():
                if levers == {"border_controls": 0.0} and seed == 0:
                    deadline = time.monotonic() + 60
                    while not (folder / "run-000003.json").exists():
                        if time.monotonic() > deadline:
                            raise TimeoutError("run 3 not saved before run 0 ended")  # noqa: EM101
                        time.sleep(0.01)
                return fn(scenario, levers, seed, *rest)

            return super().submit(task)

    with Gate(max_workers=4) as executor:
        table = kp.simulation.sweep(
            congo, levers=LEVERS, seeds=2, executor=executor, checkpoint=folder, progress=False
        )
    pd.testing.assert_frame_equal(table, expected)


def test_the_scenario_fingerprint_is_the_same_in_every_process():
    """Scenarios hold sets, whose order changes with each process's string hashing: the
    fingerprint sorts them, so a sweep resumed in another process is recognised."""
    import os
    import subprocess
    import sys

    code = (
        "import kpmodel as kp\n"
        "from kpmodel.simulation._checkpoint import canonical, content_hash, _dumps\n"
        "for name in kp.simulation.builtins():\n"
        "    print(content_hash(_dumps(canonical(kp.simulation.builtin(name)))))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
