"""The fuzz suite for the ledger: every way in turns any input into a valid `Ledger` or a
KPModelError, and a valid ledger always checks and traces.

"Valid" is strict here: a ledger that loads must write and read back equal, so a damaged
input can never come back as a table that silently differs from what its file says.
The strategies are the public ones in `kpmodel.testing.strategies`; ``make test-slow`` (the
``slow`` Hypothesis profile) runs them longer.
"""

import csv
import io
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import KPModelError
from kpmodel.testing.strategies import (
    hostile_bytes,
    hostile_csv,
    hostile_frames,
    hostile_json,
    hostile_values,
    ledger_tables,
)

EXAMPLE = kp.Ledger.from_records([kp.certificates.example_certificate()])
FRAME = EXAMPLE.to_frame()
CSV_TEXT = EXAMPLE.dumps(format="csv").decode("utf-8")
HEADER, *ROWS = list(csv.reader(io.StringIO(CSV_TEXT)))
JSON_DATA = json.loads(EXAMPLE.dumps(format="json"))
FORMATS = ("csv", "xlsx", "parquet", "json")
#: What the JSON certificate format states for every certificate (see `Ledger.write`).
STATED_IN_JSON = {"number_of_parcels", "kp_statement", "validated", "language"}
STATED_IN_JSON |= {"english_translation", "forgery_resistant"}
# Written once: a workbook carries its creation time, so each write differs.
BINARY = {kind: EXAMPLE.dumps(format=kind) for kind in ("xlsx", "parquet")}


def loads_or_refuses(target, call):
    """A valid ledger (which reads back equal from its own CSV) or a KPModelError."""
    try:
        ledger = call()
    except KPModelError as error:
        message = str(error)
    except Exception as error:  # the failure this suite exists to find
        pytest.fail(f"{target} raised a raw {type(error).__name__}: {error!r}")
    else:
        assert isinstance(ledger, kp.Ledger), f"{target} returned {type(ledger).__name__}"
        again = kp.Ledger.loads(ledger.dumps(format="csv"), format="csv")
        assert again == ledger, f"{target}: the loaded ledger does not read back equal"
        return ledger
    assert message, f"{target}: an error without a message"
    message.encode("utf-8")  # printable whatever the input
    return None


@given(hostile_csv(HEADER, ROWS))
def test_loads_csv(text):
    """Damaged CSV: a ledger or a LoadError."""
    loads_or_refuses("Ledger.loads (csv)", lambda: kp.Ledger.loads(text, format="csv"))


@given(hostile_json(JSON_DATA))
def test_loads_json(text):
    """Damaged certificate JSON: a ledger or a LoadError."""
    loads_or_refuses("Ledger.loads (json)", lambda: kp.Ledger.loads(text, format="json"))


@given(st.sampled_from(FORMATS), hostile_bytes(CSV_TEXT))
def test_loads_bytes_of_any_format(kind, raw):
    """Badly encoded or random bytes, told to be any format: a ledger or a LoadError."""
    loads_or_refuses(f"Ledger.loads ({kind})", lambda: kp.Ledger.loads(raw, format=kind))


@st.composite
def damaged_files(draw):
    """The example ledger as a workbook or Parquet file with some bytes changed or cut."""
    kind = draw(st.sampled_from(["xlsx", "parquet"]))
    raw = bytearray(BINARY[kind])
    if draw(st.booleans()):
        del raw[draw(st.integers(0, len(raw) - 1)) :]
    for _ in range(draw(st.integers(1, 8))):
        if raw:
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return kind, bytes(raw)


@settings(max_examples=60, deadline=None)
@given(damaged_files())
def test_loads_damaged_binary_files(file):
    """A damaged workbook or Parquet file: a ledger or a LoadError, never a raw exception."""
    kind, raw = file
    loads_or_refuses(f"Ledger.loads ({kind}, damaged)", lambda: kp.Ledger.loads(raw, format=kind))


@given(hostile_frames(FRAME))
def test_from_frame(frame):
    """A frame with hostile cells, a column dropped or a row repeated: a ledger or an error."""
    loads_or_refuses("Ledger.from_frame", lambda: kp.Ledger.from_frame(frame))


COLUMN_NAMES = st.one_of(st.sampled_from(list(FRAME.columns)), st.text(max_size=6), st.integers())


@given(st.dictionaries(COLUMN_NAMES, st.one_of(COLUMN_NAMES, hostile_values()), max_size=3))
def test_from_frame_with_any_column_mapping(columns):
    """Any `columns=` mapping, of any keys and values: a ledger or an error naming it."""
    loads_or_refuses(
        "Ledger.from_frame(columns=)", lambda: kp.Ledger.from_frame(FRAME, columns=columns)
    )


@given(st.lists(hostile_values(), max_size=3))
def test_from_records(records):
    """Anything as records: a ledger or an error."""
    loads_or_refuses("Ledger.from_records", lambda: kp.Ledger.from_records(records))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger_tables(max_size=4))
def test_valid_ledgers_check_and_trace(ledger):
    """A valid ledger always checks and traces: every carat lands in an origin share."""
    report = kp.check(ledger)
    assert isinstance(report, kp.rules.Report)
    graph = kp.ProvenanceGraph.from_ledger(ledger)
    shares = kp.provenance.origin_shares(graph)
    lots, _ = graph.to_frames()
    shipped = lots.dropna(subset=["certificate"])
    assert len(shipped) == len(ledger)
    sums = shares.to_frame().sum(axis=1)
    assert ((sums - 1).abs() < 1e-9).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger_tables(max_size=4), st.sampled_from(FORMATS))
def test_write_and_read_back_in_every_format(tmp_path_factory, ledger, kind):
    """Every valid ledger written in any format reads back equal.

    JSON is the certificate exchange format, whose keys are fixed: what it reads back has
    every certificate column, those the ledger lacked left empty.
    """
    path = tmp_path_factory.mktemp("ledger") / f"ledger.{kind}"
    try:
        ledger.write(path)
    except KPModelError:  # only JSON refuses a ledger: columns a record cannot hold or needs
        assert kind == "json"
        extra = {"departed", "received"} & set(ledger.columns)
        assert extra or not set(ledger.columns) >= STATED_IN_JSON
        assert not path.exists()
        return
    back = kp.Ledger.read(path)
    if kind != "json":
        assert back == ledger
        return
    frame = back.to_frame()
    assert frame[list(ledger.columns)].equals(ledger.to_frame())
    assert frame.drop(columns=list(ledger.columns)).isna().all().all()


def test_a_refused_write_leaves_no_file(tmp_path):
    """A write to an unknown suffix is refused before anything is written."""
    with pytest.raises(KPModelError, match=r"suffix|format"):
        EXAMPLE.write(tmp_path / "ledger.txt")
    assert list(tmp_path.iterdir()) == []


def test_an_excel_file_told_to_be_csv_is_refused():
    """Bytes of a workbook read as CSV are not a ledger: a LoadError, not a garbled table."""
    raw = BINARY["xlsx"]
    with pytest.raises(KPModelError):
        kp.Ledger.loads(raw, format="csv")
    assert isinstance(pd.read_excel(io.BytesIO(raw)), pd.DataFrame)
