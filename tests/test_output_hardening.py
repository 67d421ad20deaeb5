"""Output hardening: CSV cells a spreadsheet would run, file names, plug-in failures."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import _output
from kpmodel._output import (
    FORMULA_STARTS,
    csv_cell,
    csv_restore,
    csv_safe,
    csv_uncell,
    display_path,
)
from kpmodel.cli._app import cli
from kpmodel.cli._output import render
from kpmodel.errors import PluginError

EXAMPLES = Path(kp.datasets.__file__).parent / "examples"
HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1", "'=x"]


class TestCells:
    @pytest.mark.parametrize("text", HOSTILE)
    def test_formulas_are_neutralised(self, text):
        assert csv_cell(text).startswith("'")
        assert csv_uncell(csv_cell(text)) == text

    @pytest.mark.parametrize("text", ["-3.5", "+2e3", "-1", "Antwerp", "", "a=b", "10%"])
    def test_plain_text_and_signed_numbers_are_left_alone(self, text):
        assert csv_cell(text) == text

    @given(st.text())
    def test_round_trip_and_nothing_runs(self, text):
        safe = csv_cell(text)
        assert csv_uncell(safe) == text
        starts = safe.lstrip(" ").startswith(FORMULA_STARTS)
        assert not starts or _output._NUMBER.fullmatch(safe.lstrip(" "))

    def test_frames_keep_numbers_numeric(self):
        frame = pd.DataFrame(
            {
                "participant": ["=cmd|' /C calc'!A0", "BW"],
                "code": pd.Series(["@x", "-5"], dtype="string"),
                "zone": pd.Categorical(["+north", "south"]),
                "carats": [-1.5, 2.0],
                "year": np.array([2020, 2021]),
                "ok": [True, False],
                "=head": [1, 2],
            }
        )
        safe = csv_safe(frame)
        assert safe["participant"].tolist() == ["'=cmd|' /C calc'!A0", "BW"]
        assert safe["code"].tolist() == ["'@x", "-5"]
        assert safe["zone"].tolist() == ["'+north", "south"]
        assert safe["carats"].tolist() == [-1.5, 2.0]
        assert [str(t) for t in safe.dtypes] == [str(t) for t in frame.dtypes]
        assert list(safe.columns)[-1] == "'=head"
        text = safe.to_csv(index=False)
        assert "\n=" not in text
        assert "-1.5" in text
        restored = csv_restore(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
        assert restored["participant"].tolist() == frame["participant"].tolist()
        assert frame["participant"].tolist()[0] == "=cmd|' /C calc'!A0"  # input unchanged

    def test_cli_csv_output_is_neutralised(self):
        frame = pd.DataFrame({"participant": ['=HYPERLINK("x")'], "value": [-2.0]})
        out = render(frame, "csv")
        assert out == 'participant,value\n"\'=HYPERLINK(""x"")",-2.0\n'

    def test_statistics_csv_goes_through_the_one_helper(self, tmp_path, monkeypatch):
        calls = []
        real = _output.csv_safe

        def spy(frame):
            calls.append(list(frame.columns))
            return real(frame)

        monkeypatch.setattr("kpmodel.statistics._table.csv_safe", spy)
        stats = kp.datasets.kp_statistics()
        stats.to_csv(tmp_path / "kp.csv")
        assert calls
        again = kp.statistics.KPStatistics.from_csv(tmp_path / "kp.csv")
        assert again.table.equals(stats.table)


class TestFileNames:
    @pytest.mark.parametrize(
        ("name", "shown"),
        [
            (b"caf\xe9.json", "caf\\xe9.json"),
            ("café.json", "café.json"),
            ("a\x1b[31mred\nline.csv", "a\\x1b[31mred\\nline.csv"),
            (b"\xff\xfe", "\\xff\\xfe"),
            ("lone\ud800.json", "lone\\ud800.json"),
        ],
    )
    def test_names_are_shown_printable(self, name, shown):
        assert display_path(name) == shown
        shown.encode("ascii", "backslashreplace")  # encodable anywhere

    def test_load_errors_name_the_file_printably(self, tmp_path):
        path = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xe9.json"))
        path.write_bytes(b"{not json")
        with pytest.raises(kp.errors.LoadError) as caught:
            kp.certificates.load(path)
        assert "bad\\xe9.json" in caught.value.source
        str(caught.value).encode("utf-8")  # no surrogates left

    @pytest.mark.parametrize("fmt", ["table", "csv", "json"])
    def test_check_of_a_folder_with_a_non_utf8_name(self, tmp_path, fmt):
        folder = tmp_path / "certs"
        folder.mkdir()
        shutil.copyfile(
            EXAMPLES / "certificate-defective-za-2019.json",
            os.fsdecode(bytes(folder) + b"/za\xe9.json"),
        )
        done = subprocess.run(
            [sys.executable, "-m", "kpmodel", "check", "--format", fmt, str(folder)],
            capture_output=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert b"za\\xe9.json" in done.stdout.replace(b"\\\\", b"\\")
        assert b"internal error" not in done.stderr

    def test_check_of_an_empty_folder_is_unusable_input(self, tmp_path):
        result = CliRunner().invoke(cli, ["check", str(tmp_path)])
        assert result.exit_code == 2
        assert "no ledger or record files in" in result.output


def fake_entry_point(name, value, load):
    return types.SimpleNamespace(
        name=name, value=value, load=load, dist=types.SimpleNamespace(name="their-package")
    )


@pytest.fixture
def plugins(monkeypatch):
    found = []
    monkeypatch.setattr("kpmodel.definitions._registry.entry_points", lambda *, group: list(found))
    return found


class TestPlugins:
    def test_an_entry_point_that_fails_to_load_is_named(self, plugins):
        def load():
            raise ImportError("No module named 'theirs'")  # noqa: EM101

        plugins.append(fake_entry_point("THEIRS_2026", "theirs.defs:THEIRS", load))
        with pytest.raises(PluginError) as caught:
            kp.definitions.get("THEIRS_2026")
        message = str(caught.value)
        assert "entry point 'THEIRS_2026 = theirs.defs:THEIRS' of package 'their-package'" in (
            message
        )
        assert "ImportError: No module named 'theirs'" in message
        assert isinstance(caught.value.__cause__, ImportError)

    def test_an_entry_point_that_is_not_callable_is_named(self, plugins):
        plugins.append(fake_entry_point("THEIRS_2026", "theirs.defs:NOT", lambda: 42))
        with pytest.raises(PluginError, match=r"THEIRS_2026 = theirs\.defs:NOT.*not callable"):
            kp.definitions.get("THEIRS_2026")

    def test_a_plugin_that_raises_while_judging_is_named(self, plugins):
        def theirs(situation, *, on=None):
            raise ZeroDivisionError("division by zero")  # noqa: EM101

        plugins.append(fake_entry_point("THEIRS_2026", "theirs.defs:theirs", lambda: theirs))
        with pytest.raises(PluginError) as caught:
            kp.compare("THEIRS_2026", kp.definitions.CaseBook.default())
        message = str(caught.value)
        assert "definition plug-in from entry point 'THEIRS_2026 = theirs.defs:theirs'" in message
        assert "raised ZeroDivisionError: division by zero" in message
        assert "not in kpmodel" in message

    def test_a_users_callable_that_raises_is_named(self):
        def mine(situation, *, on=None):
            raise KeyError("zone")  # noqa: EM101

        with pytest.raises(PluginError, match=r"definition 'mine' \(the user's callable .*mine\)"):
            kp.compare(mine, kp.definitions.CaseBook.default())

    def test_the_cli_blames_the_plugin_not_kpmodel(self, plugins):
        def load():
            raise SyntaxError("invalid syntax")  # noqa: EM101

        plugins.append(fake_entry_point("THEIRS_2026", "theirs.defs:THEIRS", load))
        result = CliRunner().invoke(cli, ["compare", "--definitions", "THEIRS_2026"])
        assert result.exit_code == 2
        assert "internal error" not in result.output
        assert "THEIRS_2026 = theirs.defs:THEIRS" in result.output

    def test_built_in_definitions_are_not_wrapped(self):
        assert kp.compare("EU_2023", kp.definitions.CaseBook.default()).names


def test_ledger_csv_neutralises_formulas_and_reads_them_back():
    """A party name a spreadsheet would run is written with an apostrophe, read back as is."""
    ledger = kp.Ledger.read(EXAMPLES / "ledger-bw-2023.csv")
    frame = ledger.to_frame()
    frame["exporter_name"] = '=HYPERLINK("http://x","y")'
    hostile = kp.Ledger.from_frame(frame)
    text = hostile.dumps(format="csv").decode("utf-8")
    assert "'=HYPERLINK" in text
    assert "\n=" not in text
    assert ",=" not in text
    again = kp.Ledger.loads(text.encode("utf-8"), format="csv")
    assert set(again.to_frame()["exporter_name"]) == {'=HYPERLINK("http://x","y")'}
