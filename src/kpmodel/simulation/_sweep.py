"""Sweeps: every combination of lever values and seeds, on any executor, with checkpoints."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from concurrent.futures import Executor, Future, as_completed
from typing import Any

import pandas as pd

from kpmodel import _limits
from kpmodel._limits import Limit
from kpmodel.errors import InvalidArgumentError, SweepError
from kpmodel.simulation._checkpoint import METRIC_COLUMNS, Checkpoint
from kpmodel.simulation._result import progress_bar, require_scenario, run
from kpmodel.simulation._scenario import Scenario, check_lever
from kpmodel.simulation._size import check_sweep, count_runs


def sweep(
    scenario: Scenario,
    *,
    levers: Mapping[str, Sequence[object]],
    seeds: int | Iterable[int],
    executor: Executor | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    max_memory: int | str | None = None,
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
        ``submit`` and ``Future.result()`` are used. The table does not depend on it, bit
        for bit: every sum in a run's metrics has a fixed order (no BLAS).
    checkpoint : path, optional
        A directory. Each run is written there atomically as it finishes, in whatever order
        the executor finishes them; a sweep started again with the same arguments (and the
        same kpmodel version) reads the runs already there and runs only the rest, so an
        interrupted sweep, resumed, returns exactly the table an uninterrupted one would.
        Every file read back is verified first: a missing or damaged manifest, a run file
        from another sweep, copied over another run, missing a column or edited by a
        single byte, is refused with the file named, and nothing is deleted.
    progress : bool, optional
        Show a progress bar (needs ``tqdm``). By default, only on a terminal, and only for
        sweeps that last more than a second.
    max_memory : int or str, optional
        The most memory the sweep's table and each of its runs may need (see `run`); the
        sweep is refused before any run when its plan, its table or one of its runs would
        need more. By default the environment variable ``KPMODEL_MAX_MEMORY``, else 60% of
        the machine's memory.

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
        holds another sweep or was written by another kpmodel version.
    kpmodel.errors.LoadError
        For a checkpoint whose manifest or run files are damaged or not this sweep's.
    kpmodel.errors.SizeLimitError
        Before any run, when the sweep would need more memory than the limit.
    kpmodel.errors.SweepError
        After every other run finished, when some runs raised: its `failures` lists them
        with their errors, its `table` holds the runs that finished (and a checkpoint keeps
        them; resuming retries only the failed runs).

    Examples
    --------
    >>> scenario = kp.simulation.builtin("congo-brazzaville-2004")
    >>> table = kp.simulation.sweep(
    ...     scenario, levers={"border_controls": [0.0, 0.5]}, seeds=2, progress=False
    ... )
    >>> table.groupby("border_controls").run_id.nunique().to_dict()
    {0.0: 2, 0.5: 2}
    """
    plan = _plan(scenario, levers, seeds, max_memory)
    limit = _resolved(max_memory)
    store = _open_checkpoint(checkpoint, scenario, plan) if checkpoint is not None else None
    frames = store.finished() if store is not None else {}
    todo = [(run_id, values, seed) for run_id, values, seed in plan if run_id not in frames]
    failures: dict[int, BaseException] = {}
    bar = progress_bar(len(plan), initial=len(frames), enabled=progress, unit="run")
    try:
        for run_id, outcome in _outcomes(scenario, todo, executor, limit):
            if isinstance(outcome, BaseException):
                failures[run_id] = outcome
                if store is not None:
                    store.fail(run_id, outcome)
            else:
                if store is not None:
                    store.save(run_id, outcome)
                frames[run_id] = outcome
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    parts = [_label(frames[r], r, v, s) for r, v, s in plan if r in frames]
    table = _canonical(pd.concat(parts, ignore_index=True) if parts else _empty(levers), levers)
    if failures:
        raise SweepError(_failures(plan, failures), table=table)
    return table


def _outcomes(
    scenario: Scenario,
    todo: list[tuple[int, dict[str, object], int]],
    executor: Executor | None,
    limit: int | str,
) -> Iterator[tuple[int, pd.DataFrame | Exception]]:
    """Run `todo`; yield each run's metrics (or its exception) as it finishes."""
    if executor is None:
        for run_id, values, seed in todo:
            try:
                yield run_id, _run_one(scenario, values, seed, limit)
            except Exception as exc:  # a failed run is recorded, the sweep goes on
                yield run_id, exc
        return
    futures: dict[Future[pd.DataFrame], int] = {}
    for run_id, values, seed in todo:
        try:
            futures[executor.submit(_run_one, scenario, values, seed, limit)] = run_id
        except Exception as exc:  # such as a scenario the executor cannot send
            yield run_id, exc
    # concurrent.futures (and dask's executor) futures: as each finishes; others: in order
    if all(isinstance(f, Future) for f in futures):
        finished: Iterable[Future[pd.DataFrame]] = as_completed(futures)
    else:
        finished = list(futures)
    for future in finished:
        try:
            yield futures[future], future.result()
        except Exception as exc:
            yield futures[future], exc


def _failures(
    plan: list[tuple[int, dict[str, object], int]], failures: Mapping[int, BaseException]
) -> pd.DataFrame:
    rows = [
        {"run_id": r, "seed": s, **v, "error": f"{type(failures[r]).__name__}: {failures[r]}"}
        for r, v, s in plan
        if r in failures
    ]
    return pd.DataFrame(rows)


def _empty(levers: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    columns = ["run_id", "seed", *levers, *METRIC_COLUMNS]
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def _resolved(max_memory: int | str | None) -> int | str:
    """Return the limit resolved here, for the runs in workers (whose environment may differ)."""
    limit = _limits.resolve_limit(max_memory)
    return "none" if limit is None else limit


def _open_checkpoint(
    checkpoint: str | os.PathLike[str],
    scenario: Scenario,
    plan: list[tuple[int, dict[str, object], int]],
) -> Checkpoint:
    # The version lives in the package's __init__, which is always imported before this
    # module; read it there rather than import the root package (which imports every part).
    version = str(sys.modules["kpmodel"].__version__)
    return Checkpoint.open(checkpoint, scenario=scenario, plan=plan, version=version)


#: Lever combinations whose run size is checked before the sweep starts; a later one too big
#: is refused in its worker, with the sweep's limit, and reported as a failed run.
VARIANTS_CHECKED = 64


def _plan(
    scenario: Scenario, levers: object, seeds: int | Iterable[int], max_memory: Limit = None
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
    names = list(levers)
    if isinstance(seeds, Sized):  # refuse a huge sweep before its plan is built
        runs = count_runs(levers, len(seeds))
        first = itertools.islice(itertools.product(*levers.values()), VARIANTS_CHECKED)
        variants = (scenario.with_levers(**dict(zip(names, c, strict=True))) for c in first)
        check_sweep(scenario, variants, runs=runs, columns=6 + len(names), limit=max_memory)
    seed_list = list(seeds) if isinstance(seeds, Iterable) else [seeds]
    if not seed_list or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seed_list
    ):
        msg = f"seeds must be a positive count or non-negative integers, got {seeds!r}"
        raise InvalidArgumentError(msg)
    combos = list(itertools.product(*(levers[name] for name in names)))
    plan = []
    for c, combo in enumerate(combos):
        for s, seed in enumerate(seed_list):
            plan.append((c * len(seed_list) + s, dict(zip(names, combo, strict=True)), seed))
    return plan


def _run_one(
    scenario: Scenario, levers: dict[str, object], seed: int, limit: int | str = "none"
) -> pd.DataFrame:
    """One run of a sweep: its metrics (a top-level function, so executors can pickle it)."""
    return run(scenario.with_levers(**levers), seed=seed, max_memory=limit).metrics


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
