"""Sweeps: lever values, designs over uncertain inputs and seeds, on any executor."""

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
from kpmodel._progress import progress_bar
from kpmodel.errors import InvalidArgumentError, SweepError
from kpmodel.simulation import _designs as ds
from kpmodel.simulation._checkpoint import METRIC_COLUMNS, Checkpoint
from kpmodel.simulation._result import require_scenario, run
from kpmodel.simulation._scenario import LEVERS, Scenario, check_lever
from kpmodel.simulation._size import check_sweep, count_runs


def sweep(
    scenario: Scenario,
    *,
    levers: Mapping[str, Sequence[object]] | None = None,
    uncertainties: Mapping[str, tuple[float, float]] | None = None,
    design: str = "full",
    samples: int | None = None,
    seeds: int | Iterable[int] = 1,
    executor: Executor | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    max_memory: Limit = None,
) -> pd.DataFrame:
    """Run `scenario` over lever values, a design over uncertain inputs, and seeds.

    Every combination of lever values is crossed with every point of the design and every
    seed; the table holds one block of metric rows per run.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    levers : Mapping of str to sequence, optional
        Values to try per lever (see `LEVERS`), such as
        ``{"origin_listing_on_mixed": [False, True]}``, or per scenario path of one place's
        rate (``{"routes[0].border_controls": [0.0, 0.5]}``). Every combination is run.
    uncertainties : Mapping of str to (low, high), optional
        Scenario paths (``"hubs[0].markup"``, ``"routes[1].probability"``,
        ``"controls.border_controls"``; see `kpmodel.simulation` for the syntax) and the
        range each number may take. The table gains one column per input.
    design : {"full", "lhs", "sobol"}, default "full"
        How the uncertain inputs are sampled: ``"full"`` a grid of `samples` evenly spaced
        values per input; ``"lhs"`` a Latin hypercube of `samples` points (one per stratum
        of each input); ``"sobol"`` the Saltelli scheme of `samples` base rows (a power of
        2; ``samples * (d + 2)`` points for d inputs) that `sensitivity` reads. Draws come
        from the scenario's seed.
    samples : int, optional
        Size of the design; required with uncertainties.
    seeds : int or iterable of int, default 1
        The seeds of each combination and design point; an int ``n`` means ``range(n)``.
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
        Show a progress bar (``tqdm.auto``). By default, only in a notebook or on a
        terminal, and only for sweeps that last more than a second.
    max_memory : int, float, Decimal or str, optional
        The most memory the sweep's table and each of its runs may need (see `run`); the
        sweep is refused before any run when its plan, its table or one of its runs would
        need more.
        A number of bytes (an int, float or Decimal), a size such as ``"64 GiB"`` or
        ``"1e3 MiB"``, or ``"none"`` for no limit. Default (None): the environment variable
        ``KPMODEL_MAX_MEMORY``, else 60% of the machine's memory.

    Returns
    -------
    pandas.DataFrame
        Columns ``run_id, seed``, one column per lever, with uncertainties ``sample`` (the
        design point) and one column per input, then ``definition, metric, detector,
        value`` (see `SimulationResult.metrics`); rows in run order (lever combinations in
        the order given, then design points, seeds fastest). ``table.attrs`` records the
        design, the ranges, the levers and the definition in force, which `summarise` and
        `sensitivity` read.

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        Before any run, for an unknown lever or scenario path, a bad lever value or seed, a
        range outside its parameter's domain (a probability above 1), an unknown design, a
        design without `samples`, or a checkpoint directory that holds another sweep or was
        written by another kpmodel version. The message names the input.
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

    A Latin hypercube over two uncertain inputs:

    >>> table = kp.simulation.sweep(
    ...     scenario,
    ...     uncertainties={"hubs[0].markup": (1.0, 1.5), "routes[0].probability": (0.5, 0.9)},
    ...     design="lhs", samples=4, progress=False,
    ... )
    >>> list(table.columns[:5])
    ['run_id', 'seed', 'sample', 'hubs[0].markup', 'routes[0].probability']
    >>> table.groupby("sample")["hubs[0].markup"].first().between(1.0, 1.5).all()
    np.True_
    """
    if levers is None:
        levers = {}
    plan, inputs = _plan(scenario, levers, seeds, uncertainties, design, samples, max_memory)
    limit = _limits.resolved(max_memory)  # for the runs in workers, whose environment may differ
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
    frame = pd.concat(parts, ignore_index=True) if parts else _empty(levers, inputs)
    table = _canonical(frame, levers, inputs)
    table.attrs = {
        "design": design,
        "samples": samples,
        "uncertainties": {path: list(r) for path, r in inputs.items()},
        "levers": list(levers),
        "definition": scenario.definition,
    }
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


def _empty(levers: Mapping[str, Sequence[object]], inputs: Mapping[str, object]) -> pd.DataFrame:
    design = ["sample", *inputs] if inputs else []
    columns = ["run_id", "seed", *levers, *design, *METRIC_COLUMNS]
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


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
    scenario: Scenario,
    levers: object,
    seeds: int | Iterable[int],
    uncertainties: object = None,
    design: str = "full",
    samples: object = None,
    max_memory: Limit = None,
) -> tuple[list[tuple[int, dict[str, object], int]], dict[str, tuple[float, float]]]:
    require_scenario(scenario)
    if not isinstance(levers, Mapping):
        msg = f"levers must map lever names to lists of values, got {levers!r}"
        raise InvalidArgumentError(msg)
    for name, values in levers.items():
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            msg = f"levers[{name!r}] must be a non-empty list of values, got {values!r}"
            raise InvalidArgumentError(msg)
        for value in values:
            if isinstance(name, str) and name not in LEVERS and ("." in name or "[" in name):
                _check_path_value(scenario, name, value)
            else:
                check_lever(name, value)
    ranges = ds.check_uncertainties(scenario, {} if uncertainties is None else uncertainties)
    overlap = sorted(set(ranges) & set(levers))
    if overlap:
        msg = f"{overlap[0]!r} is both a lever and an uncertainty; give it once"
        raise InvalidArgumentError(msg)
    size = ds.check_samples(design, samples, bool(ranges))
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = range(seeds)
    names = list(levers)
    if isinstance(seeds, Sized):  # refuse a huge sweep before its plan is built
        points_count = _design_size(design, size, len(ranges))
        runs = count_runs(levers, len(seeds)) * points_count
        first = itertools.islice(itertools.product(*levers.values()), VARIANTS_CHECKED)
        variants = (ds.settings_of(scenario, dict(zip(names, c, strict=True))) for c in first)
        columns = 6 + len(names) + (len(ranges) + 1 if ranges else 0)
        check_sweep(scenario, variants, runs=runs, columns=columns, limit=max_memory)
    seed_list = list(seeds) if isinstance(seeds, Iterable) else [seeds]
    if not seed_list or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seed_list
    ):
        msg = f"seeds must be a positive count or non-negative integers, got {seeds!r}"
        raise InvalidArgumentError(msg)
    combos = list(itertools.product(*(levers[name] for name in names)))
    points: list[dict[str, object]] = [{}]
    if ranges:
        assert size is not None
        grid = ds.design_points(ranges, design, size, scenario.seed)
        points = [{"sample": k, **ds.point_values(ranges, row)} for k, row in enumerate(grid)]
    plan: list[tuple[int, dict[str, object], int]] = []
    for combo in combos:
        for point in points:
            values = {**dict(zip(names, combo, strict=True)), **point}
            for seed in seed_list:
                plan.append((len(plan), values, seed))
    return plan, ranges


def _design_size(design: str, samples: int | None, inputs: int) -> int:
    """How many design points `ds.design_points` will give, computed before making them."""
    if not samples:
        return 1
    if design == "full":
        return int(samples**inputs)
    return samples * (inputs + 2) if design == "sobol" else samples


def _check_path_value(scenario: Scenario, path: str, value: object) -> None:
    """Check a lever given as a scenario path: the path exists and takes the value."""
    current = ds.get_path(scenario, path)
    if ds.is_number(current) and not ds.is_number(value):
        msg = f"levers[{path!r}] must be numbers (the scenario has {current!r}); got {value!r}"
        raise InvalidArgumentError(msg)
    try:
        ds.settings_of(scenario, {path: value})
    except InvalidArgumentError as exc:
        msg = f"levers[{path!r}]: {exc}"
        raise InvalidArgumentError(msg) from exc


def _run_one(
    scenario: Scenario, levers: dict[str, object], seed: int, limit: int | str = "none"
) -> pd.DataFrame:
    """One run of a sweep: its metrics (a top-level function, so executors can pickle it)."""
    return run(ds.settings_of(scenario, levers), seed=seed, max_memory=limit).metrics


def _label(frame: pd.DataFrame, run_id: int, levers: dict[str, object], seed: int) -> pd.DataFrame:
    head = {"run_id": run_id, "seed": seed, **levers}
    labelled = frame.assign(**head)  # type: ignore[arg-type]
    return labelled[[*head, "definition", "metric", "detector", "value"]]


def _canonical(
    table: pd.DataFrame,
    levers: Mapping[str, Sequence[object]],
    inputs: Mapping[str, object] | None = None,
) -> pd.DataFrame:
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
    if inputs:
        dtypes["sample"] = "int64"
        dtypes.update(dict.fromkeys(inputs, "float64"))
    dtypes.update(
        {"definition": "string", "metric": "string", "detector": "string", "value": "float64"}
    )
    return table.astype(dtypes).reset_index(drop=True)
