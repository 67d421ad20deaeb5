"""The boundary layer: one collector, one code check, one number check, one date parser,
one decoder, one JSON/TOML parser and one atomic write, each refusing hostile input cleanly.
"""

import contextlib
import datetime as dt
import json
import os
import stat
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import _boundary as b
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, KPModelError, LoadError
from kpmodel.testing.strategies import hostile_values


class TestProblems:
    def test_collects_every_problem_with_its_path(self):
        """Problems from several fields are all reported, in order, in one LoadError."""
        problems = b.Problems(source="x.json")
        with problems.checking("parcels[0]"):
            b.finite_decimal("-1", path="carats", minimum=0)
        with problems.checking("issued"):
            b.as_date("soon", path="")
        with problems.checking("fine"):
            pass
        problems.add("origin", "must be a code")
        with pytest.raises(LoadError) as info:
            problems.raise_if_any()
        paths = [p.path for p in info.value.problems]
        assert paths == ["parcels[0].carats", "issued", "origin"]
        assert info.value.source == "x.json"

    def test_nested_load_errors_are_prefixed(self):
        """A LoadError raised inside a checked block contributes each problem, prefixed."""
        problems = b.Problems()
        with problems.checking("scenarios[1]"):
            raise LoadError([kp.errors.Problem("rate", "bad"), kp.errors.Problem("", "worse")])
        assert [p.path for p in problems] == ["scenarios[1].rate", "scenarios[1]"]

    def test_no_problem_no_error(self):
        """An empty collector raises nothing."""
        problems = b.Problems()
        problems.raise_if_any()
        assert not problems
        assert len(problems) == 0

    def test_other_exceptions_pass_through(self):
        """Only kpmodel errors are collected; a bug still surfaces."""
        problems = b.Problems()
        with pytest.raises(ZeroDivisionError), problems.checking("x"):
            _ = 1 / 0


class TestCodes:
    @pytest.mark.parametrize("good", ["BW", "BE", "CF", "AE"])
    def test_iso_codes_pass(self, good):
        """Upper-case ISO 3166-1 alpha-2 codes are returned unchanged."""
        assert b.country_code(good) == good
        assert b.participant_code(good) == good

    def test_eu_is_a_participant_not_a_country(self):
        """EU is a KP participant but not an ISO country."""
        assert b.participant_code("EU") == "EU"
        with pytest.raises(InvalidRecordError, match="or 'EU'") as _:
            b.participant_code("XX")
        with pytest.raises(InvalidRecordError):
            b.country_code("EU")

    @pytest.mark.parametrize("bad", ["bw", "Bw", " BW", "BW "])
    def test_lower_case_and_padded_codes_are_refused_with_the_remedy(self, bad):
        """'bw' never becomes a second origin beside 'BW': it is refused, naming 'BW'."""
        with pytest.raises(InvalidRecordError, match="write it in capitals without spaces: 'BW'"):
            b.country_code(bad)

    @pytest.mark.parametrize(
        "bad", ["XX", "", "=cmd|' /C calc'!A0", None, 7, ["BW"], b"BW", "BWA", "Botswana"]
    )
    def test_anything_else_is_refused_with_the_chosen_error(self, bad):
        """Non-codes raise the error class the caller asked for, with the path."""
        with pytest.raises(InvalidArgumentError, match=r"^origin: must be an ISO 3166-1"):
            b.participant_code(bad, path="origin", error=InvalidArgumentError)
        with pytest.raises(InvalidRecordError) as info:
            b.country_code(bad, path="parcels[0].origin")
        assert info.value.path == "parcels[0].origin"


class TestNumbers:
    @pytest.mark.parametrize(
        "bad",
        [
            float("nan"),
            float("inf"),
            -float("inf"),
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            10**5000,
            True,
            "1",
            None,
            np.float64("nan"),
            np.bool_(True),
        ],
        ids=lambda v: b.show(v, limit=20),
    )
    def test_non_finite_and_non_numbers_are_refused(self, bad):
        """NaN, infinities, Decimal specials, huge ints, bools and text are refused."""
        with pytest.raises(InvalidRecordError):
            b.finite_float(bad, path="x")

    @pytest.mark.parametrize(
        "bad",
        [
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("-Infinity"),
            "Infinity",
            "1_000",
            "nan",
            10**5000,
            Decimal("1" * 40),
            1.5,
            True,
            "1e99999",
        ],
        ids=lambda v: b.show(v, limit=20),
    )
    def test_decimal_refuses_specials_floats_and_huge_values(self, bad):
        """Decimal quantities are finite, from text/int/Decimal, with bounded digits."""
        with pytest.raises(InvalidRecordError):
            b.finite_decimal(bad, path="carats")

    def test_bounds(self):
        """Minimum (inclusive or exclusive) and maximum are enforced."""
        assert b.finite_float(0, path="x", minimum=0) == 0.0
        with pytest.raises(InvalidRecordError, match="greater than 0"):
            b.finite_float(0, path="x", minimum=0, exclusive_minimum=True)
        with pytest.raises(InvalidRecordError, match="at most"):
            b.finite_float(1e300, path="x")
        assert b.finite_decimal("12.50", path="x", minimum=0) == Decimal("12.50")
        with pytest.raises(InvalidRecordError, match="at least 0"):
            b.finite_decimal("-0.01", path="x", minimum=0)

    @pytest.mark.parametrize("bad", [1e300, 0, 1800, 3000, 2013.5, float("nan"), "2013", True])
    def test_years_are_range_checked(self, bad):
        """A year of 1e300, 0, 1800 or 3000 is refused, not stored as garbage."""
        with pytest.raises(InvalidRecordError, match=r"^year: must be a whole number"):
            b.year(bad)

    def test_whole_numbers_accept_integral_floats_and_numpy(self):
        """2013.0 and numpy integers are whole numbers."""
        assert b.year(2013.0) == 2013
        assert b.year(np.int64(2013)) == 2013
        assert b.whole_number(Decimal("4"), path="x") == 4

    @given(st.floats(allow_nan=True, allow_infinity=True))
    def test_finite_float_returns_finite_or_raises(self, value):
        """Any float either comes back finite and bounded or is refused."""
        try:
            result = b.finite_float(value, path="x", minimum=-1e15)
        except InvalidRecordError:
            return
        assert np.isfinite(result)
        assert -1e15 <= result <= b.MAX_QUANTITY

    @given(st.decimals(allow_nan=True, allow_infinity=True) | st.text(max_size=30))
    def test_finite_decimal_returns_finite_or_raises(self, value):
        """Any Decimal or text either comes back finite or is refused."""
        try:
            result = b.finite_decimal(value, path="x", minimum=None, maximum=None)
        except InvalidRecordError:
            return
        assert result.is_finite()


class TestDates:
    def test_iso_text_and_dates(self):
        """ISO text and dates give the same day."""
        assert b.as_date(" 2013-05-23 ") == b.as_date(dt.date(2013, 5, 23))

    @pytest.mark.parametrize(
        "bad",
        ["20130523", "2013-W21-4", "2013-02-30", "2013-5-23", dt.datetime(2013, 5, 23), 2013],
    )
    def test_everything_else_is_refused(self, bad):
        """Compact, week and impossible dates, datetimes and numbers are refused."""
        with pytest.raises(InvalidArgumentError, match=r"^on: must be a datetime\.date"):
            b.as_date(bad)

    def test_datetimes_get_the_remedy(self):
        """A datetime is refused with the hint to pass .date()."""
        with pytest.raises(InvalidRecordError, match=r"value\.date\(\)"):
            b.as_date(dt.datetime(2013, 5, 23), path="issued", error=InvalidRecordError)


class TestText:
    def test_utf8_and_utf8_bom(self):
        """UTF-8 passes, with or without a byte-order mark."""
        assert b.decode_text("Berbérati".encode()) == "Berbérati"
        assert b.decode_text(b"\xef\xbb\xbfok") == "ok"

    @pytest.mark.parametrize(
        ("raw", "named"),
        [
            ("Berbérati".encode("utf-16"), "UTF-16"),
            ("Berbérati".encode("utf-16-le"), "UTF-16"),
            ("Berbérati".encode("utf-16-be"), "UTF-16"),
            ("Berbérati".encode("utf-32"), "UTF-32"),
            ("a = 1\nzone = 'Berbérati'".encode("latin-1"), "Latin-1"),
            ("Côte d’Ivoire".encode("cp1252"), "Windows-1252"),
        ],
    )
    def test_other_encodings_are_named(self, raw, named):
        """The error names the encoding the file most likely has, and how to fix it."""
        with pytest.raises(LoadError, match=named) as info:
            b.decode_text(raw, source="book.toml")
        assert "re-save it as UTF-8" in str(info.value)
        assert info.value.source == "book.toml"

    def test_latin1_error_gives_the_line(self):
        """The first bad byte is located by line and column."""
        with pytest.raises(LoadError) as info:
            b.decode_text("ok\nzone = 'Berbérati'".encode("latin-1"))
        assert info.value.problems[0].path == "line 2, column 13"

    def test_nul_bytes_are_refused(self):
        """A binary file is refused, not passed on to a parser."""
        with pytest.raises(LoadError, match="NUL"):
            b.decode_text(b"abc\x00def")

    def test_read_errors_are_load_errors(self, tmp_path):
        """Missing files, folders and bad names end in LoadError."""
        with pytest.raises(LoadError, match="No such file"):
            b.read_text(tmp_path / "none.json")
        with pytest.raises(LoadError, match="folder"):
            b.read_text(tmp_path)
        with pytest.raises(LoadError):
            b.read_text("bad\x00name")

    def test_file_names_are_shown_safely(self, tmp_path):
        """A file name that is not UTF-8 is shown with escapes, never crashing a message."""
        name = os.fsdecode(b"caf\xe9.json")
        assert b.display_path(tmp_path / name).endswith("caf\\xe9.json")
        assert b.display_path("a\nb\x1b.json") == "a\\nb\\x1b.json"
        with pytest.raises(LoadError) as info:
            b.read_text(tmp_path / name)
        assert "caf\\xe9.json" in str(info.value)
        str(info.value).encode("utf-8")  # printable

    @given(st.binary(max_size=200))
    def test_any_bytes_decode_or_load_error(self, raw):
        """Any bytes either decode or raise LoadError."""
        try:
            text = b.decode_text(raw)
        except LoadError:
            return
        assert isinstance(text, str)


class TestJSON:
    def test_plain_values(self):
        """Valid JSON comes back as plain values; decimals optionally as Decimal."""
        assert b.parse_json('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
        assert b.parse_json('{"a": 2.5}', decimals=True) == {"a": Decimal("2.5")}

    @pytest.mark.parametrize(
        ("text", "path", "what"),
        [
            ('{"a": 1, "a": 2}', "a", "more than once"),
            ('{"x": [{"k": 1, "k": 1}]}', "x[0].k", "more than once"),
            ('{"a": NaN}', "line 1, column 7", "NaN"),
            ('{"s": "NaN", "a": -Infinity}', "line 1, column 19", "-Infinity"),
            ('{"a": 1e400}', "a", "finite"),
            ('{"a": ' + "1" * 5000 + "}", "a", "5000 characters"),
            ('{"a": [' + "1." + "0" * 5000 + "]}", "a[0]", "characters"),
            ("[" * 100_000 + "]" * 100_000, "line 1, column 65", "levels deep"),
            ('{"a": ' * 70 + "1" + "}" * 70, "line 1, column", "levels deep"),
            ("{'a': 1}", "line 1, column 2", "not valid JSON"),
            ("", "line 1, column 1", "not valid JSON"),
        ],
    )
    def test_hostile_json_is_refused_with_a_path(self, text, path, what):
        """Duplicate keys, non-finite and huge numbers, deep nesting and bad syntax."""
        with pytest.raises(LoadError, match=what) as info:
            b.parse_json(text)
        assert info.value.problems[0].path.startswith(path)

    def test_brackets_in_strings_do_not_count(self):
        """Depth counts real nesting only, not brackets inside strings."""
        assert b.parse_json(json.dumps({"a": "[" * 1000 + '\\"{'})) == {"a": "[" * 1000 + '\\"{'}

    def test_size_limit(self):
        """Text above max_chars is refused, and the limit can be raised."""
        with pytest.raises(LoadError, match="max_chars"):
            b.parse_json("[1, 2]", max_chars=3)
        assert b.parse_json("[1, 2]", max_chars=6) == [1, 2]

    def test_not_text(self):
        """Non-text is an invalid argument."""
        with pytest.raises(InvalidArgumentError):
            b.parse_json(b"[]")  # type: ignore[arg-type]

    @given(st.text(alphabet='[]{}",:0123456789.eE-+ntrufalsNIiy \\', max_size=80))
    def test_any_text_parses_or_load_error(self, text):
        """Any JSON-ish text parses to plain values or raises LoadError."""
        with contextlib.suppress(LoadError):
            b.parse_json(text)


class TestTOML:
    @pytest.mark.parametrize(
        ("text", "what"),
        [
            ("a = nan", "finite"),
            ("[t]\nb = [1.0, -inf]", "finite"),
            ("a = " + "1" * 5000, "too long"),
            ("a = " + "[" * 100_000 + "]" * 100_000, "levels deep"),
            ("a = " + "{b = " * 70 + "1" + "}" * 70, "levels deep"),
            ("a = 1\na = 2", "not valid TOML"),
            ("a = ", "not valid TOML"),
        ],
    )
    def test_hostile_toml_is_refused(self, text, what):
        """NaN/inf, huge integers, deep nesting, duplicate keys and bad syntax."""
        with pytest.raises(LoadError, match=what):
            b.parse_toml(text)

    def test_brackets_in_strings_and_comments_do_not_count(self):
        """Depth counts real nesting only."""
        text = 'a = "' + "[" * 100 + '"  # ' + "[" * 100 + "\nb = '''" + "{" * 100 + "'''"
        assert b.parse_toml(text)["a"] == "[" * 100


class TestAtomicWrite:
    def test_permissions_follow_the_umask(self, tmp_path):
        """Files end up 0644 under umask 022 and 0600 under 077, like any new file."""
        old = os.umask(0o022)
        try:
            first = b.atomic_write(tmp_path / "a.txt", "x")
            os.umask(0o077)
            second = b.atomic_write(tmp_path / "b.txt", b"x")
        finally:
            os.umask(old)
        assert stat.S_IMODE(first.stat().st_mode) == 0o644
        assert stat.S_IMODE(second.stat().st_mode) == 0o600

    def test_replaces_and_leaves_no_temporary(self, tmp_path):
        """The target is replaced whole; nothing else is left in the folder."""
        path = tmp_path / "out.csv"
        path.write_text("old")
        b.atomic_write(path, "new")
        assert path.read_text() == "new"
        assert os.listdir(tmp_path) == ["out.csv"]

    def test_failure_keeps_the_old_file_and_cleans_up(self, tmp_path):
        """An error while writing leaves the old content and no temporary file."""
        path = tmp_path / "out.csv"
        path.write_text("old")

        def interrupted():
            with b.atomic_open(path) as file:
                file.write("half")
                raise RuntimeError

        with pytest.raises(RuntimeError):
            interrupted()
        assert path.read_text() == "old"
        assert os.listdir(tmp_path) == ["out.csv"]

    def test_unencodable_text_cleans_up(self, tmp_path):
        """An encoding error is an error like any other: nothing is left behind."""
        with pytest.raises(UnicodeEncodeError):
            b.atomic_write(tmp_path / "x.txt", "\udce9")
        assert os.listdir(tmp_path) == []


def test_show_never_raises():
    """Messages can describe any value, however large or broken."""

    class Broken:
        def __repr__(self):
            raise RuntimeError

    assert "digits" in b.show(-(10**100_000))
    assert "repr() failed" in b.show(Broken())
    assert len(b.show("x" * 10_000)) == 80
    assert "digits" in b.show(Decimal("1" * 100))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (pd.Series([1, 2], name="lot_id"), "Series([1, 2], name='lot_id', dtype=int64)"),
        (pd.Series(range(100)), "Series([0, 1, 2, 3,"),
        (pd.DataFrame({"a": [1], "b": [2]}), "DataFrame(1 rows, columns=['a', 'b'])"),
        (np.zeros((2, 2)), "array([[0., 0.], [0., 0.]])"),
        (pd.Index([1, 2]), "Index([1, 2], dtype='int64')"),
    ],
)
def test_show_shows_a_table_or_an_array_on_one_line(value, shown):
    """A Series given for one value was shown over several lines inside a refusal
    ("lots[0] = 0    1\ndtype: int64"), as were a DataFrame and a 2-D array."""
    text = b.show(value)
    assert "\n" not in text
    assert text.startswith(shown)
    assert len(text) <= 80


@pytest.mark.parametrize(
    "value",
    [pd.Series(np.arange(10**6)), pd.Series(["x" * 30] * 3, name="n" * 200), pd.Series(range(41))],
)
def test_show_of_a_series_cut_short_says_how_long_it_is(value):
    """The values filled the 80 characters and cut off the length they were shown for
    ("Series([0, 1, ..., 19,..."; 18-review9, 10)."""
    text = b.show(value)
    assert len(text) <= 80
    assert text.endswith(f"length={len(value):,})")


@given(
    st.sampled_from(["csv", "json"]),
    st.sampled_from([pd.Series, np.array, lambda v: pd.DataFrame({"w": v}), tuple]),
)
def test_one_of_refuses_a_table_of_its_words_naming_the_field(word, table_of):
    """A word is accepted as itself (numpy's text too); a table or array of it, even of one
    element, is refused naming the field, never compared as a whole (a Series raised
    pandas' "truth value ... is ambiguous", a one-element array was taken)."""
    assert b.one_of(word, ("csv", "json"), path="format") == word
    assert type(b.one_of(np.str_(word), ("csv", "json"), path="format")) is str
    given = table_of([word])
    with pytest.raises(InvalidRecordError, match=r"^format: must be one of 'csv', 'json', got"):
        b.one_of(given, ("csv", "json"), path="format")


def test_guarded_refuses_a_table_for_a_field_of_one_value():
    """A field annotated as one value, even without a validator, never holds a table or an
    array: it is refused, naming the field, before any validator compares it."""
    import attrs

    @b.guarded
    @attrs.frozen(kw_only=True)
    class Note:
        text: str
        day: dt.date | None = None
        words: tuple[str, ...] = ()

    for table in (pd.Series(["x"]), np.array(["x"]), np.array("x"), pd.DataFrame({"a": [1]})):
        with pytest.raises(InvalidRecordError, match=r"^text: must be one value, not a table"):
            Note(text=table)
        with pytest.raises(InvalidRecordError, match=r"^day: must be one value"):
            Note(text="x", day=table)
    assert Note(text=np.str_("x"), words=np.array(["a"])).text == "x"


def test_every_validator_raises_a_kpmodel_error():
    """The validators raise only kpmodel errors for the hostile values of the issue."""
    hostile = [None, float("nan"), 10**5000, Decimal("sNaN"), "", "bw", object(), [1], {}]
    validators = [
        lambda v: b.country_code(v),
        lambda v: b.participant_code(v),
        lambda v: b.finite_float(v, path="x"),
        lambda v: b.finite_decimal(v, path="x"),
        lambda v: b.whole_number(v, path="x"),
        lambda v: b.year(v),
        lambda v: b.as_date(v),
    ]
    for validate in validators:
        for value in hostile:
            with pytest.raises(KPModelError):
                validate(value)


class TestTextValues:
    def test_saveable_text_passes(self):
        """Text that can be written as UTF-8 passes; blank text only when allowed."""
        assert b.check_text("Berbérati", path="zone") == "Berbérati"
        assert b.check_text("", path="zone", empty=True) == ""
        with pytest.raises(InvalidRecordError, match="non-empty"):
            b.check_text("  ", path="zone")

    @pytest.mark.parametrize("bad", [chr(0xD800), "a\x00b", None, 5, b"BW", ["x"]])
    def test_unsaveable_text_is_refused(self, bad):
        """Lone surrogates, NUL characters and non-text are refused."""
        with pytest.raises(InvalidArgumentError, match=r"^zone: must be"):
            b.check_text(bad, path="zone", error=InvalidArgumentError)

    def test_parsers_refuse_lone_surrogates_and_huge_integers(self):
        """JSON escapes of half characters and integers beyond 2**64 are refused with paths."""
        with pytest.raises(LoadError) as info:
            b.parse_json('{"a": "\\ud800", "b": [18446744073709551616]}')
        assert [p.path for p in info.value.problems] == ["a", "b[0]"]
        with pytest.raises(LoadError, match="below 2"):
            b.parse_toml("seed = 0x" + "f" * 40)

    def test_messages_always_print(self):
        """A message quoting a half character still encodes as UTF-8."""
        error = LoadError([kp.errors.Problem(chr(0xD800), "bad key")])
        str(error).encode("utf-8")
        str(InvalidRecordError("bad", path=chr(0xDC00))).encode("utf-8")


class TestLotIds:
    @given(
        st.one_of(
            hostile_values(),
            st.sampled_from(
                [np.int8(-3), np.uint64(2**64 - 1), np.str_("L1"), np.timedelta64(2, "D")]
            ),
        )
    )
    def test_a_lot_id_is_an_int_or_text(self, value):
        """Ints (numpy's too, never booleans or durations) and text are lot ids; tuples,
        bytes, frozensets, floats, dates ... are not."""
        is_int = isinstance(value, int | np.integer) and not isinstance(
            value, bool | np.timedelta64
        )
        assert b.is_lot_id(value) is (is_int or isinstance(value, str))
        if is_int:
            assert b.id_kind(value) is int

    def test_a_duration_is_not_of_the_int_kind(self):
        """numpy counts timedelta64 as an integer (2 days == 2), but it names no int lot."""
        assert b.id_kind(np.timedelta64(2, "D")) is np.timedelta64
        assert not b.is_lot_id(np.timedelta64(2, "D"))


@pytest.mark.parametrize("check", [b.finite_float, b.whole_number])
@given(
    st.integers(-(10**6), 10**6),
    st.sampled_from([None, "D", "s", "ns"]),
)
def test_a_numpy_duration_is_no_number(check, amount, unit):
    """numpy's timedelta64 is a numpy integer: a unitless one was taken as its count
    (np.timedelta64(5) as 5), and whole_number(np.timedelta64(5, 'D')) raised a bare
    TypeError from int(). Five days are not the number 5: refused, naming the field."""
    value = np.timedelta64(amount) if unit is None else np.timedelta64(amount, unit)
    with pytest.raises(InvalidArgumentError, match=r"^x: must be a (whole )?number, got np\."):
        check(value, path="x", error=InvalidArgumentError)
