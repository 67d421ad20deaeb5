"""`python -m kpmodel.demo` (what `make demo` runs) checks the example files and reports."""

import shutil

import kpmodel as kp
from kpmodel import demo

DATA = kp.datasets.example_folder()


def test_demo_reports_every_example_file(demo_run):
    """The demo runs every step and names every example file with its verdict."""
    result, folder = demo_run
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file()
    out = result.stdout
    for title, _ in demo.STEPS:
        assert title in out
    for path in DATA.glob("*.json"):
        assert path.name in out
    assert "FAILS" in out
    assert "OK: no findings" in out


def test_demo_reports_unusable_input(tmp_path, capsys):
    """A folder with a broken file gives exit status 2 and a one-line reason, no traceback."""
    shutil.copy(DATA / "shipment-bw-be-2023.json", tmp_path)
    shutil.copy(DATA / "confirmation-bw-be-2023.json", tmp_path)
    (tmp_path / "broken.json").write_text('{"number": 1}', encoding="utf-8")
    out = tmp_path / "out"
    assert demo.main([str(tmp_path), "--output", str(out)]) == 2
    assert "kpmodel demo:" in capsys.readouterr().out
    assert demo.main([str(tmp_path / "missing"), "--output", str(out)]) == 2
    assert not (out / "report.html").exists()
