"""Certificates as records, the JSON exchange format, its schema, and CSV ledgers."""

import contextlib
import csv
import json
from datetime import date
from decimal import Decimal

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.certificates import (
    CSV_COLUMNS,
    Certificate,
    HSCode,
    Parcel,
    Party,
    dumps,
    example_certificate,
    json_schema,
    load,
    load_csv,
    loads,
)
from kpmodel.errors import InvalidRecordError, KPModelError, LoadError, UnknownCodeError
from kpmodel.testing.strategies import certificates, ledgers, parcels, shipments

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=20,
)


def _example_dict():
    return json.loads(dumps(example_certificate()))


class TestRecords:
    def test_hs_codes_in_scope(self):
        """The three rough-diamond subheadings are the only members."""
        assert [code.value for code in HSCode] == ["7102.10", "7102.21", "7102.31"]

    @pytest.mark.parametrize("code", ["7102.29", "7102.39", "7103.10", "", "abc"])
    def test_other_hs_codes_name_the_three(self, code):
        """Any other HS code is an UnknownCodeError naming the codes in scope."""
        with pytest.raises(UnknownCodeError) as info:
            HSCode(code)
        assert all(c in str(info.value) for c in ("7102.10", "7102.21", "7102.31"))

    def test_parcel_hs_code_error_names_field(self):
        """A parcel with an out-of-scope code raises InvalidRecordError at hs_code."""
        with pytest.raises(InvalidRecordError) as info:
            Parcel(hs_code="7102.39", carats="1", value_usd="1", origin="BW")
        assert info.value.path == "hs_code"

    @pytest.mark.parametrize(
        ("changes", "path"),
        [
            ({"carats": "0"}, "carats"),
            ({"carats": 1.5}, "carats"),
            ({"value_usd": "-1"}, "value_usd"),
            ({"origin": "Botswana"}, "origin"),
            ({"origin": "BW", "declared_origins": ["BW", "ZA"]}, "declared_origins"),
            ({"origin": "MIXED", "declared_origins": ["BW", "BW"]}, "declared_origins"),
            ({"carats": "NaN"}, "carats"),
        ],
    )
    def test_invalid_parcels(self, changes, path):
        """Invalid parcel fields raise InvalidRecordError naming the field."""
        fields = {"hs_code": "7102.10", "carats": "1", "value_usd": "1", "origin": "BW"}
        with pytest.raises(InvalidRecordError) as info:
            Parcel(**{**fields, **changes})
        assert info.value.path == path

    @pytest.mark.parametrize(
        ("changes", "path"),
        [
            ({"issuing_country": "XX"}, "issuing_country"),
            ({"issued": "2023-01-01"}, "issued"),
            ({"number": " "}, "number"),
            ({"number_of_parcels": -1}, "number_of_parcels"),
            ({"validated": "yes"}, "validated"),
            ({"exporter": "A Ltd"}, "exporter"),
            ({"parcels": ["not a parcel"]}, "parcels[0]"),
        ],
    )
    def test_invalid_certificates(self, changes, path):
        """An invalid certificate cannot be built; the error names the field."""
        with pytest.raises(InvalidRecordError) as info:
            attrs.evolve(example_certificate(), **changes)
        assert info.value.path == path

    def test_rule_breaches_are_representable(self):
        """A certificate may break KPCS rules: missing expiry, wrong count, no parties."""
        cert = attrs.evolve(
            example_certificate(), expires=None, number_of_parcels=9, exporter=None
        )
        assert cert.expires is None

    def test_totals(self):
        """Certificate totals add up the parcels."""
        cert = example_certificate()
        assert cert.carats == sum(p.carats for p in cert.parcels)
        assert cert.value_usd == Decimal("236120.00")


class TestJson:
    @given(certificates())
    def test_certificate_round_trip(self, cert):
        """loads(dumps(certificate)) is the certificate."""
        assert loads(dumps(cert)) == cert

    @given(ledgers(max_size=4))
    def test_ledger_round_trip(self, ledger):
        """A list of certificates, shipments and confirmations round-trips, order kept."""
        assert loads(dumps(ledger)) == ledger

    @given(ledgers(max_size=3))
    def test_dumped_files_validate_against_the_schema(self, ledger):
        """What dumps writes validates against the shipped JSON Schema."""
        jsonschema.validate(json.loads(dumps(ledger)), json_schema())

    def test_schema_is_valid(self):
        """The shipped schema is itself a valid draft 2020-12 schema."""
        jsonschema.Draft202012Validator.check_schema(json_schema())

    def test_certificate_keys_are_the_contract(self):
        """A certificate is written with exactly the keys of the exchange format."""
        assert list(_example_dict()) == [
            "number",
            "issuing_authority",
            "issuing_country",
            "destination_country",
            "exporter",
            "importer",
            "issued",
            "expires",
            "parcels",
            "number_of_parcels",
            "kp_statement",
            "validated",
        ]
        assert list(_example_dict()["parcels"][0]) == ["hs_code", "carats", "value_usd", "origin"]

    def test_every_problem_at_once(self):
        """Every problem in a file is reported together, each with its path."""
        data = _example_dict()
        data["parcels"] = [data["parcels"][0]] * 2 + [{**data["parcels"][0], "carats": "-3.5"}]
        data["issued"] = "2023-02-30"
        data["colour"] = "blue"
        del data["validated"]
        data["exporter"]["country"] = 7
        with pytest.raises(LoadError) as info:
            loads(json.dumps(data))
        found = {str(p) for p in info.value.problems}
        assert "parcels[2].carats: must be greater than 0, got '-3.5'" in found
        assert {p.path for p in info.value.problems} == {
            "parcels[2].carats",
            "issued",
            "colour",
            "validated",
            "exporter.country",
        }

    def test_all_or_nothing(self):
        """One bad record in a list fails the whole load, naming its index."""
        good = _example_dict()
        bad = {**good, "number_of_parcels": "two"}
        with pytest.raises(LoadError) as info:
            loads(json.dumps([good, bad]))
        assert [p.path for p in info.value.problems] == ["[1].number_of_parcels"]

    def test_decimals_must_be_strings(self):
        """Floats lose digits, so decimals travel as strings."""
        data = _example_dict()
        data["parcels"][0]["carats"] = 12.5
        with pytest.raises(LoadError, match=r"parcels\[0\]\.carats: must be a decimal"):
            loads(json.dumps(data))

    def test_optional_keys(self):
        """Optional keys may be left out (defaults) or given."""
        data = _example_dict()
        data["language"] = "fr"
        data["english_translation"] = True
        data["parcels"][0] |= {"origin": "MIXED", "declared_origins": ["BW", "ZA"]}
        cert = loads(json.dumps(data))
        assert cert.language == "fr"
        assert cert.parcels[0].declared_origins == ("BW", "ZA")

    def test_record_type_from_content(self):
        """The record type is told from the keys."""
        cert = example_certificate()
        shipment = kp.certificates.Shipment(
            certificate=None, from_country="BW", to_country="BE", parcels=cert.parcels,
            sealed=True, departed=date(2023, 3, 2),
        )  # fmt: skip
        assert loads(dumps(shipment)) == shipment
        with pytest.raises(LoadError, match="cannot tell the record type"):
            loads('{"name": "x"}')

    @given(json_values)
    def test_any_json_value_loads_or_raises_kpmodel_error(self, value):
        """Whatever JSON value arrives, the loader loads it or raises a KPModelError."""
        with contextlib.suppress(KPModelError):
            loads(json.dumps(value))

    @given(certificates(), st.data())
    def test_damaged_certificates_load_or_raise_kpmodel_error(self, cert, data):
        """Replacing any value of a valid certificate by any JSON value never escapes."""
        document = json.loads(dumps(cert))
        target = document
        key = data.draw(st.sampled_from(sorted(target)))
        if key == "parcels" and data.draw(st.booleans()):
            target = target["parcels"][0]
            key = data.draw(st.sampled_from(sorted(target)))
        target[key] = data.draw(json_values)
        problems = ()
        try:
            loaded = loads(json.dumps(document))
        except LoadError as error:
            problems = error.problems
            assert problems
        else:
            assert isinstance(loaded, Certificate)
        assert all(problem.message for problem in problems)

    @pytest.mark.parametrize("text", ["", "{", "[1,", "NaN", '{"a": Infinity}', b"\xff"])
    def test_malformed_text(self, text):
        """Text that is not JSON is a LoadError."""
        with pytest.raises(LoadError):
            loads(text)

    def test_load_file_and_missing_file(self, tmp_path):
        """load reads a file; a missing file is a LoadError naming it."""
        path = tmp_path / "cert.json"
        path.write_text(dumps(example_certificate()), encoding="utf-8")
        assert load(path) == example_certificate()
        with pytest.raises(LoadError, match=r"missing\.json"):
            load(tmp_path / "missing.json")

    def test_dumps_refuses_other_objects(self):
        """dumps takes records only."""
        with pytest.raises(KPModelError):
            dumps({"number": "x"})


def _write_csv(path, certs):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for cert in certs:
            head = json.loads(dumps(cert))
            for party in ("exporter", "importer"):
                for key, value in (head.pop(party) or {}).items():
                    head[f"{party}_{key}"] = value
            for parcel in head.pop("parcels"):
                row = {**head, **parcel}
                row["declared_origins"] = ";".join(parcel.get("declared_origins", []))
                writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool)
                                 else v for k, v in row.items()})  # fmt: skip


class TestCsv:
    @given(st.lists(certificates(), max_size=4))
    def test_csv_ledger_round_trip(self, tmp_path_factory, certs):
        """A ledger written one row per parcel loads back as the same certificates."""
        certs = [attrs.evolve(c, number=f"{c.issuing_country}{i}") for i, c in enumerate(certs)]
        path = tmp_path_factory.mktemp("csv") / "ledger.csv"
        _write_csv(path, certs)
        assert load(path) == certs

    def test_errors_name_row_and_column(self, tmp_path):
        """Problems point at a row and a column, all at once."""
        cert = example_certificate()
        path = tmp_path / "ledger.csv"
        _write_csv(path, [cert])
        text = path.read_text(encoding="utf-8").splitlines()
        text[2] = text[2].replace("285.40", "-3.5").replace("2023-03-01", "2023-02-30")
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
        with pytest.raises(LoadError) as info:
            load_csv(path)
        assert [str(p) for p in info.value.problems] == [
            "row 3, column 'issued': differs from row 2 ('2023-03-01') within certificate "
            "'BW000123', got '2023-02-30'; repeat the certificate's columns on each of its "
            "parcel rows",
            "row 3, column 'carats': must be greater than 0, got '-3.5'",
        ]

    def test_header_problems(self, tmp_path):
        """Unknown and missing columns are reported from the header."""
        path = tmp_path / "ledger.csv"
        path.write_text("number,colour\nBW1,blue\n", encoding="utf-8")
        with pytest.raises(LoadError) as info:
            load_csv(path)
        assert "row 1, column 'colour'" in {p.path for p in info.value.problems}

    def test_party_cells(self, tmp_path):
        """Three empty party cells are a missing party; a bad party cell names its column."""
        cert = attrs.evolve(example_certificate(), exporter=None)
        path = tmp_path / "ledger.csv"
        _write_csv(path, [cert])
        assert load_csv(path) == [cert]
        text = path.read_text(encoding="utf-8").replace(",BE,", ",be,", 1)
        path.write_text(text, encoding="utf-8")
        with pytest.raises(LoadError, match="row 2, column 'destination_country'"):
            load_csv(path)


@given(parcels(), shipments())
def test_strategies_build_valid_records(parcel, shipment):
    """The public strategies build records that pass their own validation again."""
    assert attrs.evolve(parcel) == parcel
    assert isinstance(shipment.certificate, Certificate)
    assert Party(name="x", address="y", country="BW").country == "BW"
