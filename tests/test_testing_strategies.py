"""The public strategies' own contracts: odd arguments are refused when a strategy is made.

`registers` used to be a Hypothesis composite: its arguments were only read when a test drew
from it, so ``registers(states="BW")`` or ``registers(min_date="2000-01-01")`` failed inside
the user's test with a raw TypeError or a record error about a participant ``"B"``. It now
checks them up front and raises `InvalidArgumentError` naming the argument.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import kpmodel as kp
from kpmodel.errors import InvalidArgumentError, KPModelError
from kpmodel.testing.strategies import InvalidStrategyArgumentError, hostile_values, registers

#: The arguments of `registers`, with values it must take.
GOOD: dict[str, Any] = {
    "states": ("BW", "CF"),
    "unions": {"EU": ("BE", "DE")},
    "zones": ("Nola",),
    "min_date": dt.date(2000, 1, 1),
    "max_date": dt.date(2030, 1, 1),
    "max_events": 3,
}

#: Odd values for each argument, and a fragment of what the error must say.
ODD: list[tuple[str, object, str]] = [
    ("states", "BW", "a text is not"),
    ("states", None, "must be a sequence"),
    ("states", ("bw",), "in capitals"),
    ("states", (1,), "got 1"),
    ("states", ("BW", "BW"), "distinct, got ['BW']"),
    ("unions", ["EU"], "must be a mapping"),
    ("unions", None, "must be a mapping"),
    ("unions", {"EU": "BE"}, "a text is not"),
    ("unions", {"EU": ("xx",)}, "'xx'"),
    ("unions", {"BW": ("BE",)}, "'BW' is a union and one of states"),
    ("unions", {"eu": ("BE",)}, "'eu'"),
    ("zones", "Nola", "a text is not"),
    ("zones", (1,), "must be non-empty text"),
    ("zones", ("",), "must be non-empty text"),
    ("zones", None, "must be a sequence"),
    ("min_date", "2000-01-01", "must be a datetime.date"),
    ("min_date", dt.datetime(2000, 1, 1), "not a datetime"),
    ("max_date", None, "must be a datetime.date"),
    ("min_date", dt.date(2031, 1, 1), "is after max_date"),
    ("max_events", -1, "an int from 0 to 1,000"),
    ("max_events", 2.5, "an int from 0 to 1,000"),
    ("max_events", True, "an int from 0 to 1,000"),
    ("max_events", None, "an int from 0 to 1,000"),
    ("max_events", 10**100, "an int from 0 to 1,000"),
]


@pytest.mark.parametrize(("name", "value", "said"), ODD)
def test_registers_refuses_odd_arguments_when_made(name, value, said):
    """Each odd argument is an InvalidArgumentError naming it, before any draw."""
    with pytest.raises(InvalidArgumentError) as error:
        registers(**{**GOOD, name: value})
    message = str(error.value)
    assert message.startswith(f"registers({name}")
    assert said in message


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(GOOD)), value=hostile_values(), data=st.data())
def test_registers_never_fails_raw(name, value, data):
    """Whatever one argument is, registers refuses it up front or draws valid registers.

    A draw never raises: any value the strategy accepts it can use.
    """
    try:
        strategy = registers(**{**GOOD, name: value})
    except InvalidArgumentError:
        return
    register = data.draw(strategy)
    assert isinstance(register, kp.participants.Register)


def test_numpy_integers_are_ints():
    """A NumPy integer is an int for max_events (the old strategy refused it at draw time)."""
    strategy = registers(states=("BW",), unions={}, max_events=np.int64(2))
    assert "max_events=2" in repr(strategy)


def test_errors_are_kpmodel_errors():
    """The refusal is a KPModelError and still the TypeError/ValueError callers caught."""
    with pytest.raises(KPModelError):
        registers(states="BW")
    with pytest.raises(ValueError, match="registers"):
        registers(max_events=-1)


@pytest.mark.parametrize(("name", "value", "said"), ODD)
def test_refusals_are_also_hypothesis_invalid_argument(name, value, said):
    """Handlers of Hypothesis' InvalidArgument (what the old strategy raised) still catch it."""
    with pytest.raises(InvalidArgument) as error:
        registers(**{**GOOD, name: value})
    assert isinstance(error.value, InvalidStrategyArgumentError)
    assert isinstance(error.value, InvalidArgumentError)
    assert said in str(error.value)


def test_the_refusal_pickles():
    with pytest.raises(InvalidStrategyArgumentError) as error:
        registers(states="BW")
    again = pickle.loads(pickle.dumps(error.value))
    assert type(again) is InvalidStrategyArgumentError
    assert str(again) == str(error.value)


def test_a_bad_union_code_is_named_as_a_key():
    """A bad union code is a key of `unions`, not an item of a list."""
    with pytest.raises(InvalidArgumentError) as error:
        registers(unions={"EU": ("BE",), "XU": ("DE",)})
    message = str(error.value)
    assert message.startswith("registers(unions=...): unions key 'XU': must be an ISO")
    assert "unions[0]" not in message
