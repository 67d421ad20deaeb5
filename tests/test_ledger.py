"""The Ledger: one table of paperwork, read from anything, checked cell by cell."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from decimal import Decimal

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.certificates import DeclaredOrigin
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, KPModelError, LoadError
from kpmodel.ledger import COLUMNS, REQUIRED_COLUMNS, Ledger
from kpmodel.testing.strategies import certificates, declared_origins, ledger_tables, ledgers

FORMATS = ("csv", "xlsx", "parquet", "json")


def small_frame(**changes):
    """A two-parcel ledger with the nine required columns (a trade table, no parties)."""
    frame = pd.DataFrame(
        {
            "number": ["AE-1", "AE-1"],
            "issuing_country": ["AE", "AE"],
            "destination_country": ["IN", "IN"],
            "issued": ["2024-06-03", "2024-06-03"],
            "hs_code": ["7102.10", "7102.31"],
            "carats": ["1200.5", "300"],
            "value_usd": ["150000", "42000.25"],
            "origin": ["MIXED", "BW"],
            "declared_origins": ["RU;BW", ""],
        }
    )
    return frame.assign(**changes)


def problems_of(error):
    return [str(p) for p in error.value.problems]


class TestDeclaredOrigin:
    def test_forms(self):
        """Single, mixed and mixed with a list; text and certificate fields agree."""
        single = DeclaredOrigin.single("BW")
        listed = DeclaredOrigin.mixed(["RU", "BW"])
        assert (str(single), single.origin, single.countries) == ("BW", "BW", ("BW",))
        assert (str(listed), listed.origin, listed.listed_text) == (
            "MIXED (BW, RU)",
            "MIXED",
            "RU;BW",
        )
        assert listed == DeclaredOrigin.mixed(["BW", "RU"])
        assert len({listed, DeclaredOrigin.parse(str(listed))}) == 1
        assert str(DeclaredOrigin.mixed()) == "MIXED"
        assert DeclaredOrigin.mixed().countries == ()
        assert DeclaredOrigin.from_fields("MIXED", ("BW", "RU")) == listed
        assert DeclaredOrigin.from_fields("BW") == single

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("bw", "write it in capitals.*'BW'"),
            ("MIXED (BW, BW)", "each country once"),
            ("MIXED (BW", "must end with"),
            ("XX", "ISO 3166-1"),
            ("", "ISO 3166-1"),
            (None, "must be text"),
            ("MIXED (BW, 12)", "ISO 3166-1"),
        ],
    )
    def test_bad_text(self, text, match):
        """Bad declarations are refused with the field and what was got."""
        with pytest.raises(InvalidRecordError, match=match):
            DeclaredOrigin.parse(text)

    def test_only_mixed_lists(self):
        """A single origin lists nothing; a parcel says so too."""
        with pytest.raises(InvalidRecordError, match="only a mixed declaration"):
            DeclaredOrigin(country="BW", listed=("RU",))
        with pytest.raises(InvalidRecordError, match="origin 'MIXED'"):
            DeclaredOrigin.from_fields("BW", "RU")

    @given(declared_origins())
    def test_round_trips(self, origin):
        """Text and certificate fields give back the same declaration."""
        assert DeclaredOrigin.parse(str(origin)) == origin
        assert DeclaredOrigin.from_fields(origin.origin, origin.listed_text) == origin
        assert DeclaredOrigin.from_fields(origin.origin, origin.listed) == origin

    @given(certificates())
    def test_parcels_carry_their_declaration(self, cert):
        """A parcel's declared origin is built from its own two fields."""
        for parcel in cert.parcels:
            declared = parcel.declared_origin
            assert declared is not None
            assert declared.origin == parcel.origin
            assert set(declared.listed) == set(parcel.declared_origins)


class TestFromFrame:
    def test_a_trade_table_without_parties_is_a_ledger(self):
        """The nine required columns suffice; cells are parsed to stable dtypes."""
        ledger = Ledger.from_frame(small_frame())
        frame = ledger.to_frame()
        assert ledger.columns == REQUIRED_COLUMNS
        assert frame["carats"].tolist() == [1200.5, 300.0]
        assert frame["declared_origins"].tolist() == ["RU;BW", ""]
        assert str(frame["issued"].dtype) == "datetime64[ns]"
        assert str(frame["number"].dtype) == "string"
        assert (len(ledger), ledger.number_of_certificates) == (2, 1)

    def test_user_column_names(self):
        """A mapping renames columns; None leaves one out."""
        mine = small_frame().rename(columns={"number": "Cert No.", "carats": "Weight (ct)"})
        mine["notes"] = "x"
        ledger = Ledger.from_frame(
            mine, columns={"Cert No.": "number", "Weight (ct)": "carats", "notes": None}
        )
        assert ledger == Ledger.from_frame(small_frame())

    @settings(max_examples=25)
    @given(st.data())
    def test_random_column_mapping(self, data):
        """Any renaming of the columns, mapped back, gives the same ledger."""
        frame = small_frame()
        names = data.draw(
            st.lists(
                st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s),
                min_size=len(frame.columns),
                max_size=len(frame.columns),
                unique=True,
            )
        )
        renamed = frame.set_axis(names, axis=1)
        ledger = Ledger.from_frame(renamed, columns=dict(zip(names, frame.columns, strict=True)))
        assert ledger == Ledger.from_frame(frame)

    def test_every_problem_at_once(self):
        """Bad cells, each with row and column, and unknown names in columns, together."""
        bad = small_frame(
            carats=["-3.5", "abc"],
            issued=["2024-02-30", "2024-06-03"],
            destination_country=["in", "IN"],
            hs_code=["7102.39", "7102.10"],
            origin=["BW", "ZZ"],
        )
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(bad, columns={"Weight": "carats", "number": "numbr"})
        found = problems_of(error)
        assert "columns['Weight']: the data has no column 'Weight'" in found[0]
        assert any("columns['number']: 'numbr' is not a ledger column" in p for p in found)
        joined = "\n".join(found)
        for expected in (
            "row 0, column 'carats': must be greater than 0, got '-3.5'",
            "row 1, column 'carats': must be a decimal number such as '12.50', got 'abc'",
            "row 0, column 'issued': must be an ISO date such as '2023-03-01', got '2024-02-30'",
            "row 0, column 'destination_country'",
            "write it in capitals without spaces: 'IN'",
            "row 0, column 'hs_code': HS code '7102.39'",
            "row 1, column 'origin'",
        ):
            assert expected in joined

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("carats", np.nan, "is empty; it needs a value"),
            ("carats", np.inf, "must be a finite number"),
            ("carats", "inf", "must be a decimal number such as '12.50'"),
            ("carats", "NaN", "must be a decimal number such as '12.50'"),
            ("carats", "1e400", "must be a finite number"),
            ("carats", True, "must be a number"),
            ("value_usd", "-0.01", "must be 0 or more"),
            ("value_usd", "1,000", "must be a decimal number such as '12.50'"),
            ("value_usd", "1_000", "must be a decimal number such as '12.50'"),
            ("value_usd", 1e16, "must be at most 1,000,000,000,000,000"),
            ("carats", "1e16", "must be at most 1,000,000,000,000,000"),
            ("issuing_country", " BW", "write it in capitals without spaces: 'BW'"),
            ("issued", "2024-W23-1", "must be an ISO date"),
            ("carats", "", "is empty; it needs a value"),
            ("number", "   ", "is empty; it needs a value"),
            ("number", 3.5, "must be text"),
            ("issued", dt.datetime(2024, 6, 3, 12, 30), "without a time of day"),
            ("issued", "2024-06-03T00:00", "must be an ISO date"),
            ("issued", "1066-10-14", "must be a date between"),
            ("issued", 20240603, "must be a date"),
            ("declared_origins", "BW;BW", "each country once"),
            ("declared_origins", "BW;XX", "ISO 3166-1"),
            ("issuing_country", "EUR", "ISO 3166-1 alpha-2 country code or 'EU'"),
            ("origin", "EU", "ISO 3166-1 alpha-2 country code or 'MIXED'"),
            ("origin", "mixed", "write it in capitals without spaces: 'MIXED'"),
            ("hs_code", 7102.100001, "HS code '7102.100001'"),
            ("carats", 1j, "must be a number"),
            ("number", "\ud800", "not a character"),
        ],
    )
    def test_hostile_cells(self, column, value, message):
        """NaN, infinities, huge numbers, wrong types and impossible dates are refused."""
        frame = small_frame()
        frame[column] = frame[column].astype(object)
        frame.loc[0, column] = value
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(frame)
        assert any(f"row 0, column {column!r}" in p and message in p for p in problems_of(error))

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (10**30, "must be a whole number at least 0 and at most"),
            ("\u0663", "must be a whole number of at least 0"),  # an Arabic-Indic digit
            ("-1", "must be a whole number of at least 0"),
            (2.5, "must be a whole number"),
        ],
    )
    def test_hostile_parcel_counts(self, value, message):
        """Counts are whole numbers within the boundary's bounds, in ASCII digits."""
        frame = small_frame(number_of_parcels=pd.Series([value, value], dtype=object))
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(frame)
        assert any("column 'number_of_parcels'" in p and message in p for p in problems_of(error))

    def test_a_column_of_complex_numbers_is_refused(self):
        """Complex numbers are no carat weights (their imaginary part is never dropped)."""
        with pytest.raises(LoadError, match="row 1, column 'carats': must be a number"):
            Ledger.from_frame(small_frame(carats=np.array([1 + 0j, 2 + 1j])))

    def test_huge_and_tiny_numbers_that_are_fine(self):
        """Extremes within the boundary's bounds are kept exactly as float64."""
        ledger = Ledger.from_frame(small_frame(carats=[1e15, 5e-324], value_usd=[0, 1e15]))
        assert ledger.to_frame()["carats"].tolist() == [1e15, 5e-324]

    def test_numbers_a_record_would_refuse_are_refused(self):
        """Beyond MAX_QUANTITY the ledger refuses a number, as a certificate record does."""
        with pytest.raises(KPModelError):
            kp.certificates.Parcel(
                hs_code="7102.10", carats=Decimal("1e16"), value_usd=Decimal(1), origin="BW"
            )
        with pytest.raises(LoadError, match="row 0, column 'carats': must be at most"):
            Ledger.from_frame(small_frame(carats=[1e16, 1.0]))

    def test_declared_origins_only_on_mixed_parcels(self):
        """A single-origin parcel listing origins is a problem at that cell."""
        with pytest.raises(LoadError, match="row 1, column 'declared_origins': only a parcel"):
            Ledger.from_frame(small_frame(declared_origins=["", "RU"]))

    def test_certificate_columns_agree_within_a_certificate(self):
        """Rows of one certificate repeat its columns; a difference is named by row."""
        with pytest.raises(LoadError, match=r"row 1, column 'issued': differs from row 0"):
            Ledger.from_frame(small_frame(issued=["2024-06-03", "2024-06-04"]))

    def test_columns_problems(self):
        """Duplicate, unknown, missing columns and half a party are all reported."""
        frame = small_frame().drop(columns="hs_code")
        frame["exporter_name"] = "A Ltd"
        frame["weight"] = 1
        doubled = pd.concat([frame, frame[["carats"]]], axis=1)
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(doubled)
        joined = "\n".join(problems_of(error))
        assert "missing required column 'hs_code'" in joined
        assert "column 'weight': unknown column" in joined
        assert "column 'carats': appears 2 times" in joined
        assert "the exporter needs all three columns" in joined

    def test_partial_party_cells(self):
        """A party is all three cells or none."""
        frame = small_frame(
            exporter_name=["A Ltd", None],
            exporter_address=["1 Road", None],
            exporter_country=[None, None],
        )
        with pytest.raises(LoadError, match="row 0, column 'exporter_country': is empty while"):
            Ledger.from_frame(frame)

    def test_many_problems_are_counted(self):
        """Past a thousand, problems are counted rather than listed."""
        frame = pd.concat([small_frame()] * 1500, ignore_index=True)
        frame["number"] = [f"AE-{i}" for i in range(len(frame))]
        frame["carats"] = "-1"
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(frame)
        assert len(error.value.problems) == 1001
        assert "2,000 more problems" in str(error.value.problems[-1])

    def test_wrong_arguments(self):
        """Not a DataFrame, or columns not a mapping: InvalidArgumentError."""
        with pytest.raises(InvalidArgumentError, match="pandas DataFrame"):
            Ledger.from_frame([1, 2])
        with pytest.raises(InvalidArgumentError, match="columns must map"):
            Ledger.from_frame(small_frame(), columns=["number"])

    def test_datetime_and_number_dtypes(self):
        """Datetime columns at midnight and numeric columns are taken as they are."""
        frame = small_frame(issued=pd.to_datetime(["2024-06-03", "2024-06-03"]))
        frame["carats"] = [1200.5, 300]
        assert Ledger.from_frame(frame) == Ledger.from_frame(small_frame())
        zoned = frame.assign(issued=frame["issued"].dt.tz_localize("UTC"))
        with pytest.raises(LoadError, match="without a time zone"):
            Ledger.from_frame(zoned)

    def test_empty(self):
        """A ledger of no parcels is a ledger."""
        empty = Ledger.from_frame(small_frame().iloc[:0])
        assert (len(empty), empty.number_of_certificates, empty.records()) == (0, 0, [])
        assert "empty" in repr(empty)


class TestRecords:
    @settings(max_examples=30)
    @given(st.lists(certificates(), max_size=4))
    def test_records_round_trip(self, records):
        """from_records then records gives the certificates back (numbers made distinct)."""
        records = [attrs.evolve(c, number=f"{c.number}-{i}") for i, c in enumerate(records)]
        assert Ledger.from_records(records).records() == records

    @settings(max_examples=20)
    @given(ledgers(max_size=4))
    def test_shipments_and_confirmations(self, records):
        """Shipments give departed; confirmations give received on their certificate's rows."""
        frame = Ledger.from_records(records).to_frame()
        for record in records:
            if isinstance(record, kp.certificates.Shipment):
                rows = frame[frame["number"] == record.certificate.number]
                assert (rows["departed"].dt.date == record.departed).all()
            elif isinstance(record, kp.certificates.ImportConfirmation):
                rows = frame[frame["number"] == record.certificate_number]
                assert (rows["received"].dt.date == record.received).all()

    def test_defaults_for_missing_columns(self):
        """Columns a ledger lacks take the record's defaults."""
        (cert,) = Ledger.from_frame(small_frame()).records()
        assert cert.issuing_authority is None
        assert cert.exporter is None
        assert cert.expires is None
        assert (cert.number_of_parcels, cert.kp_statement, cert.language) == (2, True, "en")
        assert cert.parcels[0].declared_origins == ("RU", "BW")  # as listed
        assert cert.parcels[1].carats == Decimal("300")

    def test_bad_records(self):
        """Only records; a shipment needs a certificate; a confirmation its certificate."""
        cert = kp.certificates.example_certificate()
        with pytest.raises(InvalidArgumentError, match=r"item \[1\] is 'x'"):
            Ledger.from_records([cert, "x"])
        bare = kp.certificates.Shipment(
            certificate=None, from_country="BW", to_country="BE", parcels=cert.parcels,
            sealed=True, departed=dt.date(2023, 3, 2),
        )  # fmt: skip
        with pytest.raises(InvalidArgumentError, match="without a certificate"):
            Ledger.from_records([bare])
        confirmation = kp.certificates.ImportConfirmation(
            certificate_number="NOPE", received=dt.date(2023, 3, 4), number_of_parcels=1,
            carats="1", importer=None, exporter=None,
        )  # fmt: skip
        with pytest.raises(InvalidArgumentError, match="'NOPE', which the records"):
            Ledger.from_records([cert, confirmation])

    @settings(max_examples=150)
    @given(
        count=st.integers(0, 3),
        only=st.lists(
            st.one_of(
                st.integers(-2, 4),
                st.integers(0, 3).map(np.int64),
                st.booleans(),
                st.booleans().map(np.bool_),
                st.sampled_from([0.0, 1.5, "0", None, pd.NA]),
            ),
            max_size=4,
        ),
        given_as=st.sampled_from([list, tuple, pd.Series, np.array]),
    )
    def test_only_takes_certificate_indices_and_refuses_the_rest(self, count, only, given_as):
        """only= gives the certificates of its ints, in order; anything else is refused by
        position, with no numpy repr; a boolean (a mask given as a list or Series) is refused
        with the remedy, never read as certificates 0 and 1.
        """
        ledger = _numbered(count)
        given = given_as(only) if only or given_as is not np.array else np.array([], int)
        items = list(given)

        def accepted(index):
            is_int = isinstance(index, int | np.integer) and not isinstance(index, bool)
            return is_int and 0 <= index < count

        bad = next((i for i, index in enumerate(items) if not accepted(index)), None)
        if bad is None:
            got = [record.number for record in ledger.records(only=given)]
            assert got == [f"BW{int(index)}" for index in items]
            return
        with pytest.raises(InvalidArgumentError, match=rf"^only\[{bad}\]: ") as error:
            ledger.records(only=given)
        message = str(error.value)
        assert "np." not in message.replace("np.flatnonzero", "")
        assert "from 0 to -1" not in message
        assert "\n" not in message
        if isinstance(items[bad], bool | np.bool_):
            assert "np.flatnonzero(mask)" in message

    def test_a_mask_is_refused_with_its_remedy(self):
        """The pandas idiom 'the flagged ones' is refused; the remedy it names works."""
        ledger = _numbered(3)
        flagged = pd.Series([False, False, True])
        with pytest.raises(InvalidArgumentError, match=r"only\[0\]: .* got False .*flatnonzero"):
            ledger.records(only=flagged)
        assert [r.number for r in ledger.records(only=np.flatnonzero(flagged))] == ["BW2"]
        for wrong in (1, 1.5, "01", b"0"):
            with pytest.raises(InvalidArgumentError, match="only must be an iterable"):
                ledger.records(only=wrong)


def _numbered(count):
    """A ledger of `count` certificates, numbered BW0, BW1, ..."""
    cert = kp.certificates.example_certificate()
    return Ledger.from_records([attrs.evolve(cert, number=f"BW{i}") for i in range(count)])


class TestFiles:
    @settings(max_examples=15, deadline=None)
    @given(ledger=ledger_tables(max_size=4), fmt=st.sampled_from(FORMATS[:3]))
    def test_round_trip(self, tmp_path_factory, ledger, fmt):
        """CSV, Excel and Parquet give back an equal ledger, whatever columns it has."""
        path = tmp_path_factory.mktemp("ledger") / f"ledger.{fmt}"
        ledger.write(path)
        back = Ledger.read(path)
        assert back == ledger
        pd.testing.assert_frame_equal(back.to_frame(), ledger.to_frame())

    @settings(max_examples=15, deadline=None)
    @given(ledgers(max_size=4))
    def test_json_round_trip(self, records):
        """JSON holds certificates: a ledger with every certificate column comes back equal."""
        ledger = Ledger.from_records(
            [r for r in records if isinstance(r, kp.certificates.Certificate)]
        )
        assert Ledger.loads(ledger.dumps(format="json"), format="json") == ledger

    def test_the_shipped_csv_ledger(self):
        """The example ledger in the CSV format of load_csv reads as the same certificates."""
        path = kp.datasets.example_folder() / "ledger-bw-2023.csv"
        assert Ledger.read(path).records() == kp.certificates.load_csv(path)

    def test_csv_rows_are_numbered_as_in_a_spreadsheet(self, tmp_path):
        """The header is row 1; blank lines are skipped but counted."""
        path = tmp_path / "ledger.csv"
        text = small_frame().to_csv(index=False).replace("\n", "\n\n", 1)
        path.write_text(text.replace("1200.5", "-1"), encoding="utf-8")
        with pytest.raises(LoadError, match=r"ledger.csv:\n  row 3, column 'carats'"):
            Ledger.read(path)

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "the file is empty"),
            (b"   \n\n", "the file is empty"),
            ("number,carats\n1,\u00e9".encode("latin-1"), "not UTF-8"),
            (b"number\x00,carats\n", "NUL characters"),
            ("number,carats\n1,2\n".encode("utf-16"), "UTF-16"),
            (b'number,carats\n"1,2\n', "not valid CSV"),
            (b"a,b\n1,2,3,4\n", "not valid CSV"),
        ],
    )
    def test_unreadable_csv(self, tmp_path, content, message):
        """Empty files, other encodings, binary data and broken quoting: LoadError."""
        path = tmp_path / "ledger.csv"
        path.write_bytes(content)
        with pytest.raises(LoadError, match=message):
            Ledger.read(path)

    def test_bom_and_crlf(self, tmp_path):
        """A byte-order mark and Windows line ends are fine."""
        path = tmp_path / "ledger.csv"
        text = small_frame().to_csv(index=False, lineterminator="\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        assert Ledger.read(path) == Ledger.from_frame(small_frame())

    @pytest.mark.parametrize("fmt", ["xlsx", "parquet", "json"])
    def test_damaged_files(self, tmp_path, fmt):
        """Damaged workbooks, Parquet and JSON files: LoadError naming the file."""
        path = tmp_path / f"ledger.{fmt}"
        path.write_bytes(b"PK\x03\x04 not really a zip file")
        with pytest.raises(LoadError, match=f"ledger.{fmt}"):
            Ledger.read(path)

    def test_a_zip_that_is_not_a_workbook(self, tmp_path):
        """A zip file without a workbook inside is no workbook."""
        path = tmp_path / "ledger.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "hello")
        with pytest.raises(LoadError, match=r"not a readable \.xlsx workbook"):
            Ledger.read(path)

    def test_missing_file_and_wrong_suffix(self, tmp_path):
        """A missing file, a folder, or an unknown suffix is named."""
        with pytest.raises(LoadError, match=r"(?i)no such file"):
            Ledger.read(tmp_path / "none.csv")
        with pytest.raises(InvalidArgumentError, match=r"suffix '\.txt'"):
            Ledger.read(tmp_path / "ledger.txt")
        ledger = Ledger.from_frame(small_frame())
        with pytest.raises(InvalidArgumentError, match=r"suffix ''"):
            ledger.write(tmp_path / "ledger")
        with pytest.raises(InvalidArgumentError, match="does not exist"):
            ledger.write(tmp_path / "no" / "ledger.csv")
        assert os.listdir(tmp_path) == []

    @pytest.mark.parametrize("path", [None, 3, b"ledger.csv", "ledger\x00.csv"])
    def test_what_is_no_path_is_refused(self, tmp_path, path):
        """None, numbers, bytes and names with a NUL: InvalidArgumentError, nothing written."""
        ledger = Ledger.from_frame(small_frame())
        with pytest.raises(InvalidArgumentError, match="path must"):
            ledger.write(path)
        with pytest.raises(InvalidArgumentError, match="path must"):
            Ledger.read(path)
        assert os.listdir(tmp_path) == []

    def test_a_folder_is_not_overwritten(self, tmp_path):
        """Writing to the name of a folder is refused; the folder stays as it was."""
        (tmp_path / "ledger.csv").mkdir()
        with pytest.raises(InvalidArgumentError, match="it is a folder"):
            Ledger.from_frame(small_frame()).write(tmp_path / "ledger.csv")
        assert (tmp_path / "ledger.csv").is_dir()
        assert os.listdir(tmp_path) == ["ledger.csv"]

    def test_a_failing_disk_is_a_kpmodel_error(self, tmp_path, monkeypatch):
        """An operating-system failure while writing is an InvalidArgumentError with its reason."""

        def full(path, data):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("kpmodel.ledger._io.atomic_write", full)
        with pytest.raises(InvalidArgumentError, match="No space left on device"):
            Ledger.from_frame(small_frame()).write(tmp_path / "ledger.csv")
        assert os.listdir(tmp_path) == []

    def test_nothing_written_on_failure(self, tmp_path, monkeypatch):
        """A failing write leaves the old file as it was and no temporary file behind."""
        path = tmp_path / "ledger.csv"
        path.write_text("old", encoding="utf-8")
        ledger = Ledger.from_frame(small_frame(departed=["2024-06-04", "2024-06-04"]))
        with pytest.raises(InvalidArgumentError, match="no place for the columns"):
            ledger.write(tmp_path / "ledger.json")

        def broken(*args, **kwargs):
            msg = "disk full"
            raise OSError(msg)

        monkeypatch.setattr(os, "replace", broken)
        with pytest.raises(InvalidArgumentError, match="disk full"):
            ledger.write(path)
        assert path.read_text(encoding="utf-8") == "old"
        assert sorted(os.listdir(tmp_path)) == ["ledger.csv"]

    def test_excel_from_a_person(self, tmp_path):
        """Dates as dates, an HS code typed as a number, a formula-looking number: as data."""
        import openpyxl  # the excel extra, installed by make test

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Cert", *REQUIRED_COLUMNS[1:], None])
        sheet.append(["=1+1", "AE", "IN", dt.datetime(2024, 6, 3), 7102.1, 12, 1000, "BW", None])
        sheet.append([None] * 9)
        sheet.cell(row=2, column=1).data_type = "s"
        path = tmp_path / "ledger.xlsx"
        book.save(path)
        ledger = Ledger.read(path, columns={"Cert": "number"})
        frame = ledger.to_frame()
        assert frame["number"].tolist() == ["=1+1"]
        assert frame["hs_code"].tolist() == ["7102.10"]
        assert frame["issued"].dt.date.tolist() == [dt.date(2024, 6, 3)]
        ledger.write(tmp_path / "again.xlsx")
        assert Ledger.read(tmp_path / "again.xlsx") == ledger

    def test_loads_and_columns(self):
        """loads reads bytes or text; JSON takes no column mapping; formats are named."""
        text = small_frame().to_csv(index=False)
        assert Ledger.loads(text, format="csv") == Ledger.loads(text.encode(), format="csv")
        with pytest.raises(InvalidArgumentError, match="keys are fixed"):
            Ledger.loads("[]", format="json", columns={})
        with pytest.raises(InvalidArgumentError, match="format: must be one of"):
            Ledger.loads(text, format="tsv")
        with pytest.raises(InvalidArgumentError, match="bytes or text"):
            Ledger.loads(12, format="csv")
        with pytest.raises(LoadError, match="<stdin>"):
            Ledger.loads(b"number\n", format="csv", source="<stdin>")

    def test_too_big_for_excel(self, monkeypatch, tmp_path):
        """A ledger longer than a worksheet is refused before anything is written."""
        from kpmodel.ledger import _io

        monkeypatch.setattr(_io, "EXCEL_ROWS", 2)
        with pytest.raises(InvalidArgumentError, match=r"does not fit in one \.xlsx"):
            Ledger.from_frame(small_frame()).write(tmp_path / "big.xlsx")
        assert os.listdir(tmp_path) == []


class TestValue:
    def test_immutable(self):
        """No attribute can be set; to_frame is a copy."""
        ledger = Ledger.from_frame(small_frame())
        with pytest.raises(AttributeError, match="cannot be changed"):
            ledger._frame = None
        before = ledger.to_frame()
        frame = ledger.to_frame()
        frame.loc[0, "carats"] = 1.0
        assert ledger.to_frame()["carats"].iloc[0] == 1200.5
        ledger.declared_origins()  # reading never writes into the ledger's own arrays
        ledger.records()
        kp.check(ledger)
        pd.testing.assert_frame_equal(ledger.to_frame(), before)
        with pytest.raises(TypeError):
            hash(ledger)

    def test_reprs(self):
        """Short repr; HTML escapes what the cells say."""
        ledger = Ledger.from_frame(small_frame(number=["<b>AE-1</b>", "<b>AE-1</b>"]))
        assert repr(ledger) == (
            "<Ledger: 2 parcels on 1 certificate, issued 2024-06-03, 9 columns; "
            ".to_frame() shows them>"
        )
        shown = ledger._repr_html_()
        assert "&lt;b&gt;AE-1&lt;/b&gt;" in shown
        assert "<b>AE-1</b>" not in shown

    def test_columns_constant(self):
        """The canonical columns are the CSV ledger's, plus shipment and receipt dates."""
        assert set(kp.certificates.CSV_COLUMNS) - {"exporter_name"} <= set(COLUMNS)
        assert COLUMNS[:9] == REQUIRED_COLUMNS
        assert kp.Ledger is Ledger

    def test_errors_are_kpmodel_errors(self):
        """Everything a user can get wrong is a KPModelError."""
        for error in (LoadError, InvalidArgumentError):
            assert issubclass(error, KPModelError)


class TestCellsShownByTheOneRule:
    """The ledger's reader converted numpy values by a rule of its own beside
    `kpmodel._lot_ids.plain` (18-cleanup9): a numpy date in a cell read as the bare int of
    its nanoseconds, a float32 in float64's digits. It uses the one rule now."""

    def test_a_numpy_date_is_shown_as_a_date(self):
        """An origin cell holding np.datetime64(1, 'ns') read "got 1 (int)"."""
        cell = np.datetime64(1, "ns")
        frame = small_frame(origin=pd.Series([cell, "BW"], dtype=object))
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(frame)
        (problem,) = problems_of(error)
        assert "got np.datetime64('1970-01-01T00:00:00.000000001') (datetime64)" in problem
        assert "got 1 (int)" not in problem

    @pytest.mark.parametrize("dtype", [object, np.float32])
    def test_a_float32_is_shown_in_its_own_digits(self, dtype):
        """np.float32(0.1) read "got 0.10000000149011612", a number nobody wrote."""
        frame = small_frame(
            number=pd.Series([np.float32(0.1)] * 2, dtype=dtype),
            carats=pd.Series([np.float32(-0.1), np.float32(1.5)], dtype=dtype),
        )
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(frame)
        problems = problems_of(error)
        assert any("column 'number': must be text, got 0.1 (float)" in p for p in problems)
        assert any("column 'carats': must be greater than 0, got '-0.1'" in p for p in problems)
        assert not any("0.1000" in p for p in problems)

    @given(st.sampled_from([7102.1, 7102.21, 7102.31]), st.sampled_from([object, np.float32]))
    def test_an_hs_code_stored_as_a_float32_reads_as_stored_as_a_float64(self, code, dtype):
        """A spreadsheet's 7102.1 is HS code 7102.10; as a float32 it was refused as
        '7102.10009765625' (its float64 digits), unlike the same number as a float64."""
        cells = pd.Series([np.float32(code), np.float32(7102.31)], dtype=dtype)
        as_float32 = Ledger.from_frame(small_frame(hs_code=cells)).to_frame()["hs_code"]
        as_float64 = Ledger.from_frame(small_frame(hs_code=[code, 7102.31])).to_frame()["hs_code"]
        assert as_float32.tolist() == as_float64.tolist() == [f"{code:.2f}", "7102.31"]


@pytest.mark.parametrize("cell", [np.timedelta64(5, "D"), np.timedelta64(5)], ids=str)
def test_a_duration_in_any_column_is_a_problem_of_its_cell(cell):
    """A numpy duration (a numpy integer to numpy) in a ledger cell raised a bare
    TypeError from int() or float() in 11 columns (number, hs_code, the names, the flags,
    number_of_parcels ...), and a unitless one a bare ValueError from hashing in every
    column. Each is now a problem naming its row and column."""
    frame = kp.Ledger.from_records([kp.certificates.example_certificate()]).to_frame()
    for column in frame.columns:
        changed = frame.assign(**{column: pd.Series([cell] * len(frame), dtype=object)})
        with pytest.raises(LoadError) as error:
            Ledger.from_frame(changed)
        assert any(f"column {column!r}: " in problem for problem in problems_of(error)), column
