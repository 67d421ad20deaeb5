"""`kpmodel check` on users' paperwork: stdin, Excel, column maps, --output; hostile input."""

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

import kpmodel as kp
from kpmodel.cli._app import cli

LEDGER = kp.datasets.example_file("ledger-bw-2023.csv")  # BW000123 twice: one error
VALID = kp.datasets.example_file("certificate-valid-bw-be-2023.json")
#: The user's own column names for some canonical ones.
THEIRS = {"number": "Cert No", "carats": "Weight (ct)", "value_usd": "Value, USD"}


def invoke(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def assert_unusable(result, *words):
    """Exit status 2, a message of a few lines naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert 1 <= len(result.stderr.strip().splitlines()) <= 12
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The example ledger as CSV, Excel and Parquet, a clean one, and one with its own names."""
    folder = tmp_path_factory.mktemp("paperwork")
    ledger = kp.Ledger.read(LEDGER)
    ledger.write(folder / "ledger.xlsx")
    ledger.write(folder / "ledger.parquet")
    clean = kp.Ledger.from_records([kp.certificates.example_certificate()])
    clean.write(folder / "clean.csv")
    clean.write(folder / "clean.xlsx")
    theirs = ledger.to_frame().rename(columns=THEIRS)
    theirs.to_csv(folder / "theirs.csv", index=False)
    return folder


def rules(result):
    return sorted(r["rule"] for r in json.loads(result.stdout))


# -- stdin, Excel, Parquet ------------------------------------------------------------------


def test_cat_ledger_into_check_dash_exits_1_then_0(files):
    """`cat ledger.csv | kpmodel check -` through a real pipe: 1 with findings, 0 without."""
    for path, status in ((LEDGER, 1), (files / "clean.csv", 0)):
        with path.open("rb") as stdin:
            done = subprocess.run(
                [sys.executable, "-m", "kpmodel", "check", "-"],
                stdin=stdin,
                capture_output=True,
                text=True,
                check=False,
            )
        assert done.returncode == status, done.stderr
        assert "<stdin>" in done.stdout or status == 0


@pytest.mark.parametrize("name", ["ledger.xlsx", "ledger.parquet"])
def test_check_excel_and_parquet_give_the_csv_findings(files, name):
    expected = rules(invoke("check", "--format", "json", LEDGER))
    result = invoke("check", "--format", "json", files / name)
    assert result.exit_code == 1, result.output
    assert rules(result) == expected == ["ledger-unique-number"]
    assert invoke("check", files / "clean.xlsx").exit_code == 0


@pytest.mark.parametrize("name", ["ledger.xlsx", "ledger.parquet"])
def test_stdin_tells_excel_and_parquet_by_their_first_bytes(files, name):
    result = invoke("check", "--format", "json", "-", input=(files / name).read_bytes())
    assert result.exit_code == 1, result.output
    assert rules(result) == ["ledger-unique-number"]
    assert {r["file"] for r in json.loads(result.stdout)} == {"<stdin>"}


def test_stdin_json_records_are_checked_as_records():
    result = invoke("check", "-", input=VALID.read_bytes())
    assert result.exit_code == 0, result.output
    assert "1 file(s) checked: 0 error(s)" in result.stdout


def test_a_folder_stands_for_its_ledgers_and_records(files, tmp_path):
    for name in ("ledger.xlsx", "ledger.parquet", "clean.csv"):
        shutil.copy(files / name, tmp_path)
    shutil.copy(VALID, tmp_path)
    (tmp_path / "notes.txt").write_text("not paperwork", encoding="utf-8")
    result = invoke("check", "--format", "json", tmp_path)
    assert result.exit_code == 1, result.output
    checked = {os.path.basename(r["file"]) for r in json.loads(result.stdout)}
    assert checked == {"ledger.xlsx", "ledger.parquet"}
    assert "4 file(s) checked" in result.stderr


# -- --columns ------------------------------------------------------------------------------


def test_columns_inline_map_the_users_names(files):
    mapping = ",".join(f"{theirs}={ours}" for ours, theirs in THEIRS.items() if "," not in theirs)
    # "Value, USD" has a comma: inline pairs cannot name it, a map file can.
    result = invoke("check", "--columns", mapping, files / "theirs.csv")
    assert_unusable(result, "Value, USD")
    frame = pd.read_csv(files / "theirs.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"Value, USD": "Value USD"})
    frame.to_csv(files / "theirs-no-comma.csv", index=False)
    result = invoke(
        "check", "--format", "json", "--columns", mapping + ",Value USD=value_usd",
        files / "theirs-no-comma.csv",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert rules(result) == ["ledger-unique-number"]


@pytest.mark.parametrize("kind", ["json", "toml"])
def test_columns_from_a_map_file(files, tmp_path, kind):
    mapping = {theirs: ours for ours, theirs in THEIRS.items()}
    path = tmp_path / f"columns.{kind}"
    if kind == "json":
        path.write_text(json.dumps(mapping), encoding="utf-8")
    else:
        path.write_text("".join(f'"{k}" = "{v}"\n' for k, v in mapping.items()), "utf-8")
    result = invoke("check", "--format", "json", "--columns", path, files / "theirs.csv")
    assert result.exit_code == 1, result.output
    assert rules(result) == ["ledger-unique-number"]
    piped = invoke("check", "--columns", path, "-", input=(files / "theirs.csv").read_bytes())
    assert piped.exit_code == 1, piped.output


@pytest.mark.parametrize(
    ("mapping", "words"),
    [
        ("Cert No", ["--columns", "YOUR_NAME=CANONICAL", "'Cert No'"]),
        ("=number", ["--columns", "'=number'"]),
        ("Cert No=number,Cert No=number", ["--columns", "mapped twice"]),
        ("Cert No=serial", ["serial"]),
        ("Nope=number", ["Nope"]),
        ("missing.json", ["--columns", "missing.json"]),
    ],
)
def test_bad_column_maps_exit_2_and_say_why(files, mapping, words):
    assert_unusable(invoke("check", "--columns", mapping, files / "theirs.csv"), *words)


def test_columns_for_json_records_only_exits_2():
    assert_unusable(invoke("check", "--columns", "a=number", VALID), "JSON keys are fixed")


def test_a_map_file_of_the_wrong_shape_exits_2(files, tmp_path):
    for text, words in (("[1, 2]", ["one object"]), ('{"Cert No": 3}', ["'Cert No'", "3"])):
        path = tmp_path / "bad.json"
        path.write_text(text, encoding="utf-8")
        assert_unusable(invoke("check", "--columns", path, files / "theirs.csv"), *words)
    (tmp_path / "bad.toml").write_text("Cert No = number", encoding="utf-8")
    assert_unusable(
        invoke("check", "--columns", tmp_path / "bad.toml", files / "theirs.csv"), "TOML"
    )


# -- --output -------------------------------------------------------------------------------


def test_output_writes_the_result_to_a_file_not_stdout(tmp_path):
    target = tmp_path / "findings.json"
    result = invoke("check", "--output", target, LEDGER)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert [r["rule"] for r in json.loads(target.read_text("utf-8"))] == ["ledger-unique-number"]
    assert "written to" in result.stderr
    table = tmp_path / "findings.txt"
    assert invoke("check", "-o", table, LEDGER).exit_code == 1
    assert "1 file(s) checked" in table.read_text("utf-8")
    as_csv = tmp_path / "out.dat"
    assert invoke("check", "--format", "csv", "-o", as_csv, LEDGER).exit_code == 1
    assert as_csv.read_text("utf-8").startswith("file,severity,path,message")


def test_output_is_left_alone_when_the_command_fails(tmp_path):
    target = tmp_path / "findings.json"
    target.write_text("previous", encoding="utf-8")
    assert_unusable(invoke("check", "-o", target, "-", input=b""), "empty")
    assert target.read_text("utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json"]


def test_output_into_a_missing_folder_exits_2_before_any_work(tmp_path):
    assert_unusable(invoke("check", "-o", tmp_path / "no" / "x.csv", LEDGER), "does not exist")
    assert_unusable(invoke("check", "-o", tmp_path, LEDGER), "--output")


@pytest.mark.parametrize(
    "args",
    [
        ["statistics"],
        ["data", "capacity_estimates"],
        ["simulate", "congo-brazzaville-2004", "--seed", "1"],
    ],
)
def test_every_table_command_takes_output(tmp_path, args):
    target = tmp_path / "result.csv"
    result = invoke(*args, "--output", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(pd.read_csv(target)) > 0


# -- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", ["empty"]),
        (b"  \n\n", ["empty"]),
        ("number,issuing_country\nBW1,Côte\n".encode("latin-1"), ["UTF-8", "<stdin>"]),
        (b"\x00\x01\x02garbage\xff\xfe", ["<stdin>"]),
        (b"PK\x03\x04not really a workbook", ["<stdin>"]),
        (b'{"number": 1}', ["<stdin>"]),
        (b"a,b\n1,2\n", ["<stdin>", "number"]),
    ],
)
def test_hostile_stdin_exits_2_with_a_short_message(data, words):
    assert_unusable(invoke("check", "-", input=data), *words)


def test_stdin_once_and_suffixes_known(tmp_path):
    assert_unusable(invoke("check", "-", "-", input=b"x"), "once")
    wrong = tmp_path / "ledger.txt"
    wrong.write_bytes(LEDGER.read_bytes())
    assert_unusable(invoke("check", wrong), "ledger.txt", ".csv, .xlsx, .parquet")
    not_excel = tmp_path / "ledger.xlsx"
    not_excel.write_bytes(LEDGER.read_bytes())
    assert_unusable(invoke("check", not_excel), "ledger.xlsx")
    assert_unusable(invoke("check", tmp_path / "missing.csv"), "missing.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_unusable(invoke("check", empty), "no ledger or record files")
