"""Every public `on=` takes a datetime.date or ISO text, and refuses anything else clearly."""

import datetime as dt

import pytest

import kpmodel as kp

REG = kp.participants.Register.default()
CERT = kp.certificates.example_certificate()
BOOK = kp.definitions.CaseBook.default()
CALLS = {
    "check": lambda on: kp.check(CERT, on=on).ok,
    "status": lambda on: REG.status("CF", on=on),
    "may_trade": lambda on: REG.may_trade("CF", on=on, zone="Nola"),
    "participant_of": lambda on: REG.participant_of("HR", on=on),
    "compare": lambda on: kp.compare(["ADPA_2025"], BOOK, on=on).table.to_dict("list"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("day", ["2013-06-01", "2017-01-01"])
def test_iso_text_means_the_same_date(call, day):
    """ISO text gives exactly what the datetime.date gives."""
    assert call(day) == call(dt.date.fromisoformat(day))


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("bad", ["2014-13-01", "soon", 2014, dt.datetime(2014, 1, 1)])
def test_anything_else_is_an_invalid_argument(call, bad):
    """A non-date is refused with InvalidArgumentError naming `on`."""
    with pytest.raises(kp.errors.InvalidArgumentError, match=r"on: must be a datetime\.date"):
        call(bad)
