"""Sweeps: every combination of lever values and seeds, on any executor, with checkpoints."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pandas as pd

from kpmodel._boundary import atomic_open, atomic_write, display_path, parse_json, read_text
from kpmodel.errors import InvalidArgumentError, LoadError, Problem
from kpmodel.simulation._result import progress_bar, require_scenario, run
from kpmodel.simulation._scenario import Scenario, check_lever

_MANIFEST = "sweep.json"


def sweep(
    scenario: Scenario,
    *,
    levers: Mapping[str, Sequence[object]],
    seeds: int | Iterable[int],
    executor: Executor | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run `scenario` for every combination of lever values and seeds; return one table.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    levers : Mapping of str to sequence
        Values to try per lever (see `LEVERS`), such as
        ``{"origin_listing_on_mixed": [False, True]}``. May be empty.
    seeds : int or iterable of int
        The seeds of each combination; an int ``n`` means ``range(n)``.
    executor : concurrent.futures.Executor, optional
        Where to run: in this process when omitted; a ``ProcessPoolExecutor`` uses the
        cores; ``distributed.Client(...).get_executor()`` runs on a dask cluster. Only
        ``submit`` and ``Future.result()`` are used. The table does not depend on it.
    checkpoint : path, optional
        A directory. Each finished run is written there atomically as Parquet (needs the
        ``sweep`` extra: ``pip install 'kpmodel[sweep]'``); a sweep started again with the
        same arguments reads the runs already there and runs only the rest, so an
        interrupted sweep, resumed, returns exactly the table an uninterrupted one would.
    progress : bool, optional
        Show a progress bar (needs ``tqdm``). By default, only on a terminal, and only for
        sweeps that last more than a second.

    Returns
    -------
    pandas.DataFrame
        Columns ``run_id, seed``, one column per lever, then ``definition, metric, detector,
        value`` (see `SimulationResult.metrics`);
        rows in run order (lever combinations in the order given, seeds fastest).

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        For an unknown lever, a bad lever value or seed, or a checkpoint directory that
        holds another sweep.

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> table = kp.simulation.sweep(
    ...     scenario, levers={"border_controls": [0.0, 0.5]}, seeds=2, progress=False
    ... )
    >>> table.groupby("border_controls").run_id.nunique().to_dict()
    {0.0: 2, 0.5: 2}
    """
    plan = _plan(scenario, levers, seeds)
    directory = _prepare(checkpoint, scenario, plan) if checkpoint is not None else None
    done = _finished(directory) if directory is not None else {}
    frames: dict[int, pd.DataFrame] = dict(done)
    todo = [(run_id, values, seed) for run_id, values, seed in plan if run_id not in done]
    futures: list[tuple[int, Future[pd.DataFrame] | None, dict[str, object], int]] = []
    for run_id, values, seed in todo:
        future = executor.submit(_run_one, scenario, values, seed) if executor else None
        futures.append((run_id, future, values, seed))
    bar = progress_bar(len(plan), initial=len(done), enabled=progress, unit="run")
    try:
        for run_id, future, values, seed in futures:
            frame = future.result() if future is not None else _run_one(scenario, values, seed)
            frame = _label(frame, run_id, values, seed)
            if directory is not None:
                _write_atomically(frame, directory / f"run-{run_id:06d}.parquet")
            frames[run_id] = frame
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    table = pd.concat([frames[run_id] for run_id, _, _ in plan], ignore_index=True)
    return _canonical(table, levers)


def _plan(
    scenario: Scenario, levers: object, seeds: int | Iterable[int]
) -> list[tuple[int, dict[str, object], int]]:
    require_scenario(scenario)
    if not isinstance(levers, Mapping):
        msg = f"levers must map lever names to lists of values, got {levers!r}"
        raise InvalidArgumentError(msg)
    for name, values in levers.items():
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            msg = f"levers[{name!r}] must be a non-empty list of values, got {values!r}"
            raise InvalidArgumentError(msg)
        for value in values:
            check_lever(name, value)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = range(seeds)
    seed_list = list(seeds) if isinstance(seeds, Iterable) else [seeds]
    if not seed_list or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seed_list
    ):
        msg = f"seeds must be a positive count or non-negative integers, got {seeds!r}"
        raise InvalidArgumentError(msg)
    names = list(levers)
    combos = list(itertools.product(*(levers[name] for name in names)))
    plan = []
    for c, combo in enumerate(combos):
        for s, seed in enumerate(seed_list):
            plan.append((c * len(seed_list) + s, dict(zip(names, combo, strict=True)), seed))
    return plan


def _run_one(scenario: Scenario, levers: dict[str, object], seed: int) -> pd.DataFrame:
    """One run of a sweep: its metrics (a top-level function, so executors can pickle it)."""
    return run(scenario.with_levers(**levers), seed=seed).metrics


def _label(frame: pd.DataFrame, run_id: int, levers: dict[str, object], seed: int) -> pd.DataFrame:
    head = {"run_id": run_id, "seed": seed, **levers}
    labelled = frame.assign(**head)  # type: ignore[arg-type]
    return labelled[[*head, "definition", "metric", "detector", "value"]]


def _canonical(table: pd.DataFrame, levers: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    """One dtype per column, whether the rows came from a run or from a checkpoint.

    A lever's dtype follows the values the caller gave (a table cell would be a numpy
    scalar, which is no Python bool).
    """
    dtypes: dict[str, Any] = {"run_id": "int64", "seed": "int64"}
    for name, values in levers.items():
        first = values[0]
        dtypes[name] = (
            "bool"
            if isinstance(first, bool)
            else "string"
            if isinstance(first, str)
            else "float64"
        )
    dtypes.update(
        {"definition": "string", "metric": "string", "detector": "string", "value": "float64"}
    )
    return table.astype(dtypes).reset_index(drop=True)


def _fingerprint(scenario: Scenario, plan: list[tuple[int, dict[str, object], int]]) -> str:
    text = repr((scenario, [(run_id, sorted(v.items()), s) for run_id, v, s in plan]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _prepare(
    checkpoint: str | os.PathLike[str],
    scenario: Scenario,
    plan: list[tuple[int, dict[str, object], int]],
) -> Path:
    _parquet()  # fail early, before any run, when the extra is missing
    directory = Path(checkpoint)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / _MANIFEST
    fingerprint = _fingerprint(scenario, plan)
    if manifest.exists():
        # A damaged manifest is a LoadError naming it (bad UTF-8, bad JSON, nesting, ...).
        recorded_data = parse_json(read_text(manifest), source=display_path(manifest))
        recorded = recorded_data.get("fingerprint") if isinstance(recorded_data, dict) else None
        if recorded != fingerprint:
            msg = (
                f"checkpoint directory {os.fspath(directory)!r} holds another sweep (other "
                "scenario, levers or seeds); use a new directory or empty this one"
            )
            raise InvalidArgumentError(msg)
    else:
        data = {"fingerprint": fingerprint, "scenario": scenario.name, "runs": len(plan)}
        _write_text_atomically(json.dumps(data, indent=2), manifest)
    return directory


def _finished(directory: Path) -> dict[int, pd.DataFrame]:
    pq = _parquet()
    done = {}
    for path in sorted(directory.glob("run-*.parquet")):
        run_id = int(path.stem.removeprefix("run-"))
        try:
            done[run_id] = pq.read_table(path).to_pandas()
        except Exception as exc:  # pyarrow raises several types for a damaged file
            # Runs are written atomically, so a damaged file was damaged from outside;
            # say so rather than delete what may be someone's data.
            problem = Problem(
                path.name,
                f"cannot be read ({exc}); delete it and run the sweep again to redo that run",
            )
            raise LoadError([problem], source=str(directory)) from exc
    return done


def _parquet() -> Any:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "checkpoints need pyarrow: pip install 'kpmodel[sweep]'"
        raise ImportError(msg) from exc
    return pq


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa

    pq = _parquet()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_open(path, "wb") as file:
        pq.write_table(table, file)


def _write_text_atomically(text: str, path: Path) -> None:
    atomic_write(path, text)
