"""The fuzz suite for public constructors: any value in any field of any public record class
gives a valid object or a KPModelError, never a raw TypeError, ValueError or worse.

Valid instances of every public attrs class are collected from what kpmodel ships (the
built-in scenarios, definitions, case book and register, the example certificate); each
test replaces one field with a hostile value through `attrs.evolve`, which calls the
public constructor.
"""

import datetime as dt
import enum
import importlib
import inspect
import re
from decimal import Decimal

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError, KPModelError
from kpmodel.testing.strategies import hostile_values

PACKAGES = ("certificates", "participants", "provenance", "definitions", "statistics")
PACKAGES += ("simulation", "rules", "ledger", "report")


def public_record_classes():
    """Every public attrs class of kpmodel's packages."""
    found = {}
    for name in PACKAGES:
        package = importlib.import_module(f"kpmodel.{name}")
        for attribute in package.__all__:
            value = getattr(package, attribute)
            if inspect.isclass(value) and attrs.has(value):
                found[f"{name}.{attribute}"] = value
    return found


def _collect(value, into, depth=0):
    if depth > 8:
        return
    if attrs.has(type(value)):
        into.setdefault(type(value), value)
        for field in attrs.fields(type(value)):
            _collect(getattr(value, field.name), into, depth + 1)
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            _collect(item, into, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, into, depth + 1)


def shipped_instances():
    """One valid instance of each public record class reachable from kpmodel's own data."""
    into = {}
    for name in kp.simulation.builtins():
        _collect(kp.simulation.builtin(name), into)
    for name in kp.definitions.BUILTIN_NAMES:
        _collect(getattr(kp.definitions, name), into)
    _collect(kp.definitions.CaseBook.default(), into)
    _collect(kp.participants.Register.default(), into)
    certificate = kp.certificates.example_certificate()
    _collect(certificate, into)
    _collect(kp.certificates.DeclaredOrigin.parse("MIXED (BW, RU)"), into)
    return into


CLASSES = public_record_classes()
INSTANCES = shipped_instances()
#: The public classes the fuzz reaches, by qualified name ("simulation.Hub").
REACHED = {name: cls for name, cls in CLASSES.items() if cls in INSTANCES}
FIELDS = sorted(
    (name, field.alias)
    for name, cls in REACHED.items()
    for field in attrs.fields(cls)
    if field.init
)


def test_every_public_record_class_is_guarded():
    """Each public attrs class refuses bad arguments with kpmodel's error (see `guarded`)."""
    unguarded = [name for name, cls in CLASSES.items() if "__kpmodel_guarded__" not in vars(cls)]
    assert unguarded == []


def test_the_fuzz_reaches_the_records_users_build():
    """The shipped data give an instance of every record a user builds by hand."""
    built_by_users = {
        "certificates.Certificate", "certificates.Parcel", "certificates.Party",
        "certificates.DeclaredOrigin", "participants.Register", "participants.Participant",
        "participants.StatusEvent", "definitions.Definition", "definitions.Clause",
        "definitions.Case", "definitions.CaseBook", "definitions.Situation",
        "definitions.Place", "definitions.Period", "simulation.Scenario",
        "simulation.Producer", "simulation.Zone", "simulation.Hub", "simulation.Route",
        "simulation.Controls",
    }  # fmt: skip
    assert built_by_users <= set(REACHED)


@given(st.sampled_from(FIELDS), hostile_values())
def test_any_value_in_any_field(field, value):
    """One field replaced by a hostile value: a valid record or a KPModelError."""
    class_name, alias = field
    instance = INSTANCES[REACHED[class_name]]
    message = "no error"
    try:
        attrs.evolve(instance, **{alias: value})
    except KPModelError as error:
        message = str(error)
    except Exception as error:  # the failure this suite exists to find
        pytest.fail(f"{class_name}({alias}={value!r}) raised a raw {type(error).__name__}")
    assert message, f"{class_name}({alias}=...): an error without a message"


def test_an_unknown_argument_is_kpmodels_error():
    """A misspelt keyword is refused by kpmodel too, and is still a TypeError."""
    with pytest.raises(InvalidArgumentError, match="Party") as raised:
        kp.certificates.Party(name="A", address="B", country="BW", colour="red")
    assert isinstance(raised.value, TypeError)


FIXED_VALUES = [
    None, "", " BW", "bw", "=cmd|' /C calc'!A0", "\ud800", "x" * 10_000, 0, -1, 10**400,
    float("nan"), float("inf"), -0.0, 1e300, True, b"BW", [], {}, (), [None], {"a": 1},
    object(), Decimal("sNaN"), dt.datetime(2013, 5, 23, 12),
]  # fmt: skip


def _each_field_with(cls, values):
    """Yield (field, value, error) for the shipped `cls` instance with each init field set
    to each of `values`: the error raised, or None when a record was built."""
    for field in attrs.fields(cls):
        if not field.init:
            continue
        for value in values:
            try:
                attrs.evolve(INSTANCES[cls], **{field.alias: value})
            except Exception as error:
                yield field.alias, value, error
            else:
                yield field.alias, value, None


@pytest.mark.parametrize("class_name", sorted(REACHED))
def test_every_field_with_every_fixed_hostile_value(class_name):
    """Exhaustively: each field of each record with each of a fixed set of hostile values."""
    raw = [
        f"{alias}={value!r:.40}: {type(error).__name__}"
        for alias, value, error in _each_field_with(REACHED[class_name], FIXED_VALUES)
        if error is not None and not isinstance(error, KPModelError)
    ]
    assert raw == []


#: Values whose repr runs over several lines, given where one value belongs.
TABLES = [pd.Series([1, 2], name="x"), np.zeros((2, 2)), pd.DataFrame({"a": [1]})]
#: The kinds of value a field holds one of, where a table or an array has no place.
SCALARS = (str, int, float, Decimal, dt.date, enum.Enum)


def _tables_for(value):
    """The tables above, and a one-element Series and array of `value` itself: they pass a
    membership or equality test made before the type test ("x" in a Series, == "x")."""
    return [*TABLES, pd.Series([value]), np.array([value])]


@pytest.mark.parametrize("class_name", sorted(REACHED))
def test_a_table_in_any_field_is_shown_on_one_line(class_name):
    """A Series, 2-D array or DataFrame in any field is refused with a KPModelError (or,
    where the field holds several values, taken), the value shown on one line: it was shown
    over several ("got 0    1\\n1    2\\nName: x, dtype: int64 that is a ..."), splitting a
    message's line in the middle. A table or an array given for a field of one value (a
    word, a number, a date) is always refused, naming the field: a one-element array of a
    valid word was stored in a frozen record (unhashable), and a Series raised pandas'
    "truth value of a Series is ambiguous", naming no field."""
    cls = REACHED[class_name]
    instance = INSTANCES[cls]
    wrong = []
    for field in (field for field in attrs.fields(cls) if field.init):
        current = getattr(instance, field.name)
        one_value = isinstance(current, SCALARS)
        for value in _tables_for(current) if one_value else TABLES:
            got = f"{field.alias}={type(value).__name__}"
            try:
                attrs.evolve(instance, **{field.alias: value})
            except KPModelError as error:
                message = str(error)
                rows = repr(value).splitlines()[1:]  # a table's rows, after its first
                names = rf"\b({re.escape(field.name)}|{re.escape(field.alias)})\b"
                if any(line.startswith(row) for line in message.splitlines() for row in rows):
                    wrong.append(f"{got}: split over lines: {message!r:.120}")
                elif one_value and not re.search(names, message):
                    wrong.append(f"{got}: the field is not named: {message!r:.120}")
            except Exception as error:  # the failure this suite exists to find
                wrong.append(f"{got}: raw {type(error).__name__}: {error!s:.80}")
            else:
                if one_value:
                    wrong.append(f"{got}: stored")
    assert wrong == []


@given(st.sampled_from(["parse", "single", "mixed"]), hostile_values())
def test_declared_origin_from_anything(how, value):
    """`DeclaredOrigin.parse`, `.single` and `.mixed`: a declared origin or a KPModelError."""
    try:
        origin = getattr(kp.certificates.DeclaredOrigin, how)(value)
    except KPModelError:
        return
    except Exception as error:  # the failure this suite exists to find
        pytest.fail(f"DeclaredOrigin.{how}({value!r}) raised a raw {type(error).__name__}")
    assert kp.certificates.DeclaredOrigin.parse(str(origin)) == origin
