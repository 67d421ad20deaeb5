"""Sweep checkpoints that are verified before they are trusted.

A checkpoint directory holds one sweep:

- ``sweep.json``, the manifest, written before the first run: the checkpoint format, the
  kpmodel version, the scenario's name and a hash of its content, a hash of the plan (every
  run's id, seed and lever and input values), the columns of a run's metrics, and the
  fingerprint that combines them;
- ``run-NNNNNN.json``, one per finished run, written atomically as it finishes: the
  fingerprint, the run id, seed and values, the columns and rows of its metrics;
- ``failed-NNNNNN.json``, one per run that raised, with the error (the run is retried when
  the sweep is resumed).

Every file is canonical JSON (sorted keys, no spaces, ASCII) ending with the SHA-256 of its
own content, so a file is accepted only if its bytes are exactly what kpmodel wrote: a
single edited byte, a run file copied over another, one missing a column, one from another
sweep or a manifest written by another kpmodel version is refused with the file named.
Nothing is ever deleted: the user decides what to do with a refused file. A hash is not a
signature: an edit whose author also recomputes the hash is accepted (the docs say so).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import attrs
import pandas as pd

from kpmodel._boundary import atomic_write, display_path
from kpmodel.errors import InvalidArgumentError, LoadError, Problem

FORMAT = "kpmodel-sweep-checkpoint/2"
MANIFEST = "sweep.json"
#: The columns of one run's metrics, as a run file stores them.
METRIC_COLUMNS = ("definition", "metric", "detector", "value")

_RUN = re.compile(r"run-(\d+)\.json")
_FAILED = re.compile(r"failed-(\d+)\.json")
_MANIFEST_KEYS = {
    "format",
    "kpmodel",
    "scenario",
    "scenario_sha256",
    "plan_sha256",
    "fingerprint",
    "runs",
    "columns",
    "sha256",
}
_RUN_KEYS = {"format", "fingerprint", "run_id", "seed", "values", "columns", "rows", "sha256"}

#: One planned run: its id, the lever and input values it sets, its seed.
PlannedRun = tuple[int, Mapping[str, object], int]


def plain(value: object) -> object:
    """Return a lever or input value as plain JSON data (numpy scalars unwrapped)."""
    if isinstance(value, bool | str) or value is None:
        return value
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
        if isinstance(value, bool):
            return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return repr(value)


def _dumps(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _sealed(record: dict[str, Any]) -> bytes:
    """Return `record` as canonical JSON bytes, with the SHA-256 of its content added."""
    body = {k: v for k, v in record.items() if k != "sha256"}
    digest = hashlib.sha256(_dumps(body).encode("ascii")).hexdigest()
    return (_dumps({**body, "sha256": digest}) + "\n").encode("ascii")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        msg = "a key appears twice"
        raise ValueError(msg)
    return dict(pairs)


def _unseal(path: Path, keys: set[str]) -> dict[str, Any]:
    """Read a file `_sealed` wrote; raise ValueError saying what is wrong with it."""
    raw = path.read_bytes()
    try:
        record = json.loads(raw.decode("ascii"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        msg = f"is not a file kpmodel wrote (not canonical JSON: {exc})"
        raise ValueError(msg) from None
    if not isinstance(record, dict) or set(record) != keys:
        got = sorted(record) if isinstance(record, dict) else type(record).__name__
        msg = f"is not a file kpmodel wrote (expected the keys {sorted(keys)}, got {got})"
        raise ValueError(msg)
    if _sealed(record) != raw:
        msg = (
            "was changed after kpmodel wrote it (its content does not match the SHA-256 "
            "written with it)"
        )
        raise ValueError(msg)
    return record


def write_atomically(data: bytes, path: Path) -> None:
    """Write `data` to `path` all or nothing (`kpmodel._boundary.atomic_write`)."""
    atomic_write(path, data)


def canonical(value: object) -> object:
    """Return `value` (a scenario and what it holds) as plain JSON data, the same in every
    process: sets sorted (their order follows string hashing, which changes per process),
    attrs records as their class and fields, decimals and dates as text.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if attrs.has(type(value)):
        names = [f.name for f in attrs.fields(cast(Any, type(value)))]
        fields = {name: canonical(getattr(value, name)) for name in names}
        return [type(value).__qualname__, fields]
    if isinstance(value, Mapping):
        return sorted([_dumps(canonical(k)), canonical(v)] for k, v in value.items())
    if isinstance(value, set | frozenset):
        return ["set", sorted((canonical(v) for v in value), key=_dumps)]
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, enum.Enum):
        return [type(value).__qualname__, value.name]
    if isinstance(value, dt.date | decimal.Decimal):
        return [type(value).__qualname__, str(value)]
    return [type(value).__qualname__, repr(value)]


def content_hash(text: str) -> str:
    """Return the SHA-256 of `text` (UTF-8), in hexadecimal."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Checkpoint:
    """A verified checkpoint directory of one sweep (see the module docstring).

    Open it with `open`; read the finished runs with `finished`; record each run as it
    finishes with `save` or `fail`.
    """

    def __init__(
        self, directory: Path, fingerprint: str, plan: Sequence[PlannedRun], columns: list[str]
    ) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.plan = {run_id: (dict(values), seed) for run_id, values, seed in plan}
        self.columns = columns

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        scenario: object,
        plan: Sequence[PlannedRun],
        version: str,
    ) -> Checkpoint:
        """Open (or start) the checkpoint of a sweep; refuse one that holds anything else."""
        path = Path(directory)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot use {display_path(path)!r} as a checkpoint directory: {exc.strerror}"
            raise InvalidArgumentError(msg) from None
        if not path.is_dir():
            msg = f"checkpoint must be a directory; {display_path(path)!r} is a file"
            raise InvalidArgumentError(msg)
        columns = list(METRIC_COLUMNS)
        scenario_hash = content_hash(_dumps(canonical(scenario)))
        plan_text = _dumps(
            [
                [run_id, {k: plain(v) for k, v in values.items()}, seed]
                for run_id, values, seed in plan
            ]
        )
        plan_hash = content_hash(plan_text)
        fingerprint = content_hash(_dumps([FORMAT, version, scenario_hash, plan_hash, columns]))
        manifest = {
            "format": FORMAT,
            "kpmodel": version,
            "scenario": getattr(scenario, "name", ""),
            "scenario_sha256": scenario_hash,
            "plan_sha256": plan_hash,
            "fingerprint": fingerprint,
            "runs": len(plan),
            "columns": columns,
        }
        where = display_path(path / MANIFEST)
        if (path / MANIFEST).exists():
            try:
                recorded = _unseal(path / MANIFEST, _MANIFEST_KEYS)
            except (ValueError, OSError) as exc:
                cls._refuse(path, MANIFEST, f"{exc}; the checkpoint cannot be trusted. "
                            "Use a new directory (nothing was deleted)")  # fmt: skip
            if recorded["format"] != FORMAT or recorded["kpmodel"] != version:
                msg = (
                    f"checkpoint {where!r} was written by kpmodel {recorded['kpmodel']!r}, and "
                    f"this is kpmodel {version!r}: its runs may differ from what this version "
                    "computes, so they are not mixed. Resume with that version, or start the "
                    "sweep again in a new directory"
                )
                raise InvalidArgumentError(msg)
            if recorded["fingerprint"] != fingerprint:
                what = (
                    "scenario"
                    if recorded["scenario_sha256"] != scenario_hash
                    else "levers, inputs or seeds"
                )
                msg = (
                    f"checkpoint directory {display_path(path)!r} holds another sweep (its {what} "
                    f"differ: it was written for scenario {recorded['scenario']!r} with "
                    f"{recorded['runs']} runs); use a new directory or empty this one"
                )
                raise InvalidArgumentError(msg)
        else:
            strays = sorted(
                p.name
                for p in path.iterdir()
                if _RUN.fullmatch(p.name) or p.name.startswith("run-")
            )
            if strays:
                cls._refuse(
                    path,
                    MANIFEST,
                    f"is missing, but the directory holds run files ({strays[0]!r}"
                    f"{' and more' if len(strays) > 1 else ''}) of a sweep that cannot be "
                    "identified; use a new directory (nothing was deleted)",
                )
            write_atomically(_sealed(manifest), path / MANIFEST)
        return cls(path, fingerprint, plan, columns)

    @staticmethod
    def _refuse(directory: Path, name: str, message: str) -> Any:
        raise LoadError([Problem(name, message)], source=display_path(directory))

    def finished(self) -> dict[int, pd.DataFrame]:
        """Return the metrics of every run already in the checkpoint, each verified.

        Raises `kpmodel.errors.LoadError` naming every run file that is not this sweep's
        run as kpmodel wrote it; nothing is deleted.
        """
        problems: list[Problem] = []
        done: dict[int, pd.DataFrame] = {}
        seen: dict[int, str] = {}
        for path in sorted(self.directory.iterdir()):
            name = path.name
            if not name.startswith("run-"):
                continue  # the manifest, failure records, temporary files, a user's notes
            shown = display_path(name)
            match = _RUN.fullmatch(name)
            if match is None or name != f"run-{int(match.group(1)):06d}.json":
                problems.append(Problem(shown, "is not a run file this sweep writes"))
                continue
            run_id = int(match.group(1))
            if run_id in seen:
                problems.append(Problem(shown, f"repeats run {run_id} ({seen[run_id]!r})"))
                continue
            seen[run_id] = shown
            try:
                done[run_id] = self._verify(path, run_id)
            except (ValueError, OSError) as exc:
                problems.append(Problem(shown, str(exc)))
        if problems:
            problems.append(
                Problem(
                    "",
                    "nothing was deleted; move the files named away (the sweep then redoes "
                    "those runs) or use a new checkpoint directory",
                )
            )
            raise LoadError(problems, source=display_path(self.directory))
        return done

    def _verify(self, path: Path, run_id: int) -> pd.DataFrame:
        record = _unseal(path, _RUN_KEYS)
        if record["format"] != FORMAT or record["fingerprint"] != self.fingerprint:
            msg = "belongs to another sweep (its fingerprint is not this checkpoint's)"
            raise ValueError(msg)
        if record["run_id"] != run_id:
            msg = f"holds run {record['run_id']!r}, not run {run_id}: it was copied or renamed"
            raise ValueError(msg)
        if run_id not in self.plan:
            msg = f"is run {run_id}, but this sweep has runs 0 to {len(self.plan) - 1}"
            raise ValueError(msg)
        values, seed = self.plan[run_id]
        if record["seed"] != seed:
            msg = f"was run with seed {record['seed']!r}; run {run_id} has seed {seed}"
            raise ValueError(msg)
        expected = {k: plain(v) for k, v in values.items()}
        if _dumps(record["values"]) != _dumps(expected):
            msg = f"was run with {record['values']!r}; run {run_id} sets {expected!r}"
            raise ValueError(msg)
        if record["columns"] != self.columns:
            msg = f"has the columns {record['columns']!r}; expected {self.columns!r}"
            raise ValueError(msg)
        rows = record["rows"]
        if not isinstance(rows, list) or not all(
            isinstance(row, list)
            and len(row) == len(self.columns)
            and all(isinstance(cell, str) for cell in row[:-1])
            and (isinstance(row[-1], float | int) and not isinstance(row[-1], bool))
            for row in rows
        ):
            msg = "has rows that are not (definition, metric, detector, value)"
            raise ValueError(msg)
        return pd.DataFrame(rows, columns=self.columns).astype({"value": "float64"})

    def save(self, run_id: int, metrics: pd.DataFrame) -> None:
        """Write the metrics of finished run `run_id` atomically."""
        values, seed = self.plan[run_id]
        rows = [
            [str(d), str(m), str(t), _number(v)]
            for d, m, t, v in metrics[list(METRIC_COLUMNS)].itertuples(index=False, name=None)
        ]
        record = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "run_id": run_id,
            "seed": seed,
            "values": {k: plain(v) for k, v in values.items()},
            "columns": self.columns,
            "rows": rows,
        }
        write_atomically(_sealed(record), self.directory / f"run-{run_id:06d}.json")

    def fail(self, run_id: int, error: BaseException) -> Path:
        """Record that run `run_id` raised `error`; return the record's path."""
        values, seed = self.plan[run_id]
        record = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "run_id": run_id,
            "seed": seed,
            "values": {k: plain(v) for k, v in values.items()},
            "error": f"{type(error).__name__}: {error}",
        }
        path = self.directory / f"failed-{run_id:06d}.json"
        write_atomically(_sealed(record), path)
        return path


def _number(value: object) -> float:
    return float(value)  # type: ignore[arg-type]
