"""Hostile inputs against the guards of issue 15: count what was tried and how each class ends.

Classes: tampered sweep checkpoints (every byte of a run file and of the manifest changed in
turn, run files copied, renamed, missing a column, edited, resealed; manifests removed,
damaged, of another sweep or version), hostile sizes (scenarios, sweeps, detector windows,
networkx copies, bad limits), CSV cells, file names of random bytes, failing plug-ins.
Each input ends as "accepted" (and, for checkpoints, the table is compared with the
untampered one: a difference counts as WRONG TABLE), a KPModelError subclass, or a RAW
exception. Takes a few minutes.

Run: .venv/bin/python benchmarks/hostile_guards.py
"""

import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import types
from decimal import Decimal
from pathlib import Path

import attrs

import kpmodel as kp
import kpmodel.definitions._registry as reg
from kpmodel._output import _NUMBER, FORMULA_STARTS, csv_cell, csv_uncell, display_path
from kpmodel.errors import KPModelError
from kpmodel.simulation import _checkpoint

tally = collections.Counter()


class WrongTableError(Exception):
    """A tampered checkpoint was accepted and the table differs from the untampered one."""


def outcome(cls, fn):
    try:
        fn()
        tally[(cls, "accepted")] += 1
        return "accepted"
    except WrongTableError:
        tally[(cls, "accepted, WRONG TABLE")] += 1
        return "wrong"
    except KPModelError as e:
        tally[(cls, type(e).__name__)] += 1
        return type(e).__name__
    except Exception as e:
        tally[(cls, "RAW " + type(e).__name__)] += 1
        print("RAW", cls, type(e).__name__, e)
        return "raw"


congo = kp.simulation.builtin("congo-brazzaville-2004")
LEVERS = {"border_controls": [0.0, 0.4]}
root = Path(tempfile.mkdtemp())
pristine = root / "pristine"
expected = kp.simulation.sweep(congo, levers=LEVERS, seeds=2, checkpoint=pristine, progress=False)


def resume(folder, **kw):
    opts = {"levers": LEVERS, "seeds": 2, **kw}
    t = kp.simulation.sweep(congo, checkpoint=folder, progress=False, **opts)
    if not t.equals(expected):
        raise WrongTableError


def fresh():
    d = Path(tempfile.mkdtemp(dir=root)) / "cp"
    shutil.copytree(pristine, d)
    return d


# A1: every byte position of one run file and of the manifest, flipped (xor 0x01) and random
rng = random.Random(0)
for name in ["run-000001.json", "sweep.json"]:
    raw = (pristine / name).read_bytes()
    for at in range(len(raw)):
        for byte in (raw[at] ^ 0x01,):
            d = fresh()
            data = bytearray(raw)
            data[at] = byte
            (d / name).write_bytes(bytes(data))
            outcome(f"checkpoint: one byte of {name} changed", lambda d=d: resume(d))
            shutil.rmtree(d.parent)


# A2: structural tampering
def case(label, change, **kw):
    d = fresh()
    change(d)
    outcome("checkpoint: " + label, lambda: resume(d, **kw))
    shutil.rmtree(d.parent)


for a in range(4):
    for b in range(4):
        if a != b:
            case(
                "run file copied over another",
                lambda d, a=a, b=b: shutil.copyfile(
                    d / f"run-{a:06d}.json", d / f"run-{b:06d}.json"
                ),
            )


def drop_col(d, reseal):
    p = d / "run-000000.json"
    r = json.loads(p.read_text())
    r["columns"] = r["columns"][:-1]
    r["rows"] = [x[:-1] for x in r["rows"]]
    p.write_bytes(_checkpoint._sealed(r) if reseal else json.dumps(r).encode())


case("run file missing a column", lambda d: drop_col(d, False))
case("run file missing a column, resealed", lambda d: drop_col(d, True))


def edit_value(d, reseal, i):
    p = d / "run-000002.json"
    r = json.loads(p.read_text())
    r["rows"][i][3] = r["rows"][i][3] * 2 + 1
    p.write_bytes(
        _checkpoint._sealed(r)
        if reseal
        else (json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n").encode()
    )


for i in range(10):
    case("value edited in a valid file", lambda d, i=i: edit_value(d, False, i))
    case("value edited and resealed with a recomputed hash", lambda d, i=i: edit_value(d, True, i))
case("manifest removed", lambda d: (d / "sweep.json").unlink())
case(
    "manifest removed, reused for another sweep",
    lambda d: (d / "sweep.json").unlink(),
    levers={"border_controls": [0.9, 0.1]},
)
for text in ["", "{}", "[]", "null", '{"fingerprint": "x"}', "\xff\xfe", "{" * 100000]:
    case("manifest damaged", lambda d, t=text: (d / "sweep.json").write_bytes(t.encode("latin-1")))
d = fresh()
outcome(
    "checkpoint: another scenario content",
    lambda: kp.simulation.sweep(
        congo.with_levers(monitoring_coverage=0.5),
        levers=LEVERS,
        seeds=2,
        checkpoint=d,
        progress=False,
    ),
)
shutil.rmtree(d.parent)
d = fresh()
kp.__version__, old = "9.9.9", kp.__version__
outcome("checkpoint: resume across versions", lambda: resume(d))
kp.__version__ = old
shutil.rmtree(d.parent)
for name in [
    "run-1.json",
    "run-000009.json",
    "run-000001.JSON",
    "run-000001.json.bak",
    "run-abc.json",
]:
    case(
        "foreign or duplicated run file name",
        lambda d, n=name: shutil.copyfile(d / "run-000001.json", d / n),
    )
case("user notes in the directory (must be accepted)", lambda d: (d / "notes.txt").write_text("x"))
case(
    "leftover temporary file (must be accepted)",
    lambda d: (d / ".run-000001.json.abc.tmp").write_text("x"),
)


# B: sizes
def huge(carats=None, years=None, lot=None):
    p = congo.producers[0]
    z = attrs.evolve(p.zones[0], annual_carats=carats) if carats is not None else p.zones[0]
    s = attrs.evolve(
        congo, producers=(attrs.evolve(p, zones=(z, *p.zones[1:])), *congo.producers[1:])
    )
    if years is not None:
        s = attrs.evolve(s, years=years)
    if lot is not None:
        s = attrs.evolve(s, lot_carats={**s.lot_carats, **{k: Decimal(lot) for k in s.lot_carats}})
    return s


for exp in range(9, 401, 7):
    outcome(
        f"size: annual_carats = 1e{exp}" if exp < 13 else "size: annual_carats >= 1e13",
        lambda e=exp: kp.simulation.run(huge(carats=Decimal(f"1e{e}")), seed=1),
    )
for years in [10**3, 10**5, 10**7, 10**9]:
    outcome("size: years", lambda y=years: kp.simulation.run(huge(years=y), seed=1))
for lot in ["1e-3", "1e-9", "1e-300"]:
    outcome("size: tiny lot_carats", lambda x=lot: kp.simulation.run(huge(lot=x), seed=1))
for k in range(6, 13):
    outcome(
        "size: seeds = 10^k, k >= 6",
        lambda k=k: kp.simulation.sweep(congo, levers={}, seeds=10**k, progress=False),
    )
outcome(
    "size: 1000 x 1000 lever values x 100 seeds",
    lambda: kp.simulation.sweep(
        congo,
        levers={"border_controls": [0.1] * 1000, "footprint_checks": [0.2] * 1000},
        seeds=100,
        progress=False,
    ),
)
stats = kp.datasets.kp_statistics()
for w in [10**6, 10**9, 10**12]:
    outcome("size: jump detector window", lambda w=w: kp.statistics.period_jump(stats, window=w))
for limit in ["1 KiB", "1 MiB"]:
    os.environ["KPMODEL_MAX_MEMORY"] = limit
    outcome("size: detectors under a low limit", lambda: kp.statistics.detect(stats))
    outcome(
        "size: to_networkx under a low limit",
        lambda: kp.simulation.run(congo, seed=1).provenance.to_networkx(),
    )
del os.environ["KPMODEL_MAX_MEMORY"]
for bad in ["lots", "-1", "0", "nan", "1e999 GiB", "8 XB"]:
    os.environ["KPMODEL_MAX_MEMORY"] = bad
    outcome("size: bad KPMODEL_MAX_MEMORY", lambda: kp.simulation.run(congo, seed=1))
del os.environ["KPMODEL_MAX_MEMORY"]

# C: CSV cells
alphabet = "=+-@\t\r\n '\"0123456789.,eE%|!abcAB()"
for _ in range(20000):
    s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
    safe = csv_cell(s)
    runs = safe.lstrip(" ").startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(safe.lstrip(" "))
    back = csv_uncell(safe) == s
    tally[
        (
            "csv: random cell",
            "neutralised or harmless" if not runs and back else "FORMULA OR LOSSY",
        )
    ] += 1

# D: file names
for _ in range(3000):
    name = bytes(rng.randrange(1, 256) for _ in range(rng.randint(1, 12))).replace(b"/", b"_")
    shown = display_path(name)
    try:
        shown.encode("ascii", "backslashreplace")
        shown.encode("utf-8")
        ok = shown.isprintable()
    except UnicodeError:
        ok = False
    tally[("file name: random bytes", "printable" if ok else "NOT PRINTABLE")] += 1
folder = root / "names"
folder.mkdir()
src = kp.datasets.example_folder() / "certificate-defective-za-2019.json"
for raw in [
    b"za\xe9.json",
    b"\xff\xfe.json",
    b"a\x1b[31m.json",
    b"new\nline.json",
    b"\xed\xa0\x80.json",
]:
    shutil.copyfile(src, os.fsdecode(bytes(folder) + b"/" + raw))
for fmt in ["table", "csv", "json"]:
    done = subprocess.run(
        [sys.executable, "-m", "kpmodel", "check", "--format", fmt, str(folder)],
        capture_output=True,
    )
    tally[
        (
            "file name: kpmodel check of odd names",
            f"exit {done.returncode}"
            + (" internal error" if b"internal error" in done.stderr else ""),
        )
    ] += 1

# E: plug-ins

book = kp.definitions.CaseBook.default()


def with_plugin(load):
    reg_entry = types.SimpleNamespace(
        name="THEIRS", value="theirs:X", load=load, dist=types.SimpleNamespace(name="theirs")
    )
    old = reg.entry_points
    reg.entry_points = lambda *, group: [reg_entry]
    try:
        return kp.compare("THEIRS", book)
    finally:
        reg.entry_points = old


for exc in [
    ImportError,
    ModuleNotFoundError,
    AttributeError,
    SyntaxError,
    RuntimeError,
    ZeroDivisionError,
    KeyError,
    RecursionError,
]:

    def load(exc=exc):
        raise exc("x")  # noqa: EM101

    outcome("plug-in: entry point fails to load", lambda f=load: with_plugin(f))
for obj in [42, None, "text", [], object()]:
    outcome("plug-in: entry point not callable", lambda o=obj: with_plugin(lambda: o))
for exc in [
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    RuntimeError,
    ZeroDivisionError,
    AttributeError,
    RecursionError,
]:

    def defn(situation, *, on=None, exc=exc):
        raise exc("y")  # noqa: EM101

    outcome("plug-in: definition raises", lambda d=defn: with_plugin(lambda: d))
    outcome("plug-in: user callable raises", lambda d=defn: kp.compare(d, book))
for ret in ["IN", None, 1, True, kp.definitions.Outcome.IN]:
    outcome(
        "plug-in: definition returns a non-Verdict",
        lambda r=ret: kp.compare(lambda s, on=None: r, book),
    )

total = sum(tally.values())
by = collections.defaultdict(dict)
for (cls, end), n in sorted(tally.items()):
    by[cls][end] = n
for cls, ends in by.items():
    print(f"{sum(ends.values()):6d}  {cls}: " + ", ".join(f"{e} {n}" for e, n in ends.items()))
print(f"{total} hostile inputs")
