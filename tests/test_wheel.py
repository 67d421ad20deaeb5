"""The wheel, installed in a fresh environment outside the source tree, runs `kpmodel demo`.

The test builds the wheel from this checkout (``pip wheel``, with the dev environment's
hatchling), creates an empty virtual environment in a temporary folder, installs the wheel
there with pip (the dependencies come from pip's cache or index, as a user's would: nothing
from the dev environment is visible), and runs ``kpmodel demo`` in an empty folder. A data
file missing from the wheel, an undeclared dependency or a path into the source tree fails
it. It takes some tens of seconds, most of them installing numpy, scipy, pandas and numba.
"""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import kpmodel as kp

ROOT = Path(__file__).resolve().parents[1]
#: Generous: the install unpacks numpy, scipy and pandas; the demo runs simulations.
TIMEOUT = 900


def run(command, **options):
    """Run a command; on failure, fail with its output (not a bare CalledProcessError)."""
    done = subprocess.run(
        [os.fspath(part) for part in command],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        **options,
    )
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_installed_wheel_runs_the_demo_in_an_empty_folder(tmp_path):
    """Build, install outside the repository, run `kpmodel demo`: it succeeds and reports."""
    dist = tmp_path / "dist"
    build = ["wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir", dist, ROOT]
    run([sys.executable, "-m", "pip", *build])
    (wheel,) = dist.glob("kpmodel-*.whl")
    assert wheel.name.startswith(f"kpmodel-{kp.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    examples = [n for n in names if n.startswith("kpmodel/datasets/examples/")]
    assert {Path(n).name for n in examples} >= {p.name for p in kp.datasets.example_files()}
    assert not [n for n in names if n.startswith(("examples/", "tests/", "docs/"))]

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--no-compile",
            wheel,
        ]
    )

    empty = tmp_path / "somewhere"
    empty.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env["PATH"] = os.pathsep.join([os.fspath(venv / "bin"), os.defpath])
    where = run(
        [
            python,
            "-I",
            "-c",
            "import kpmodel; print(kpmodel.__file__); print(kpmodel.__version__)",
        ],
        cwd=empty,
        env=env,
    )
    location, version = where.stdout.split()
    assert Path(location).is_relative_to(venv)
    assert version == kp.__version__

    demo = run([venv / "bin" / "kpmodel", "demo"], cwd=empty, env=env)
    report = empty / "kpmodel-demo" / "report.html"
    assert report.is_file()
    assert "Report written to" in demo.stdout
    assert "certificate-valid-bw-be-2023.json" in demo.stdout
    assert "Traceback" not in demo.stderr
    assert sorted(p.name for p in empty.iterdir()) == ["kpmodel-demo"]

    # The compiled walks of origin_shares(lots=) (numba, switched on for a small graph)
    # compile and cache in the installed package, and give the mix's shares.
    walks = (
        "import sys, kpmodel as kp; from kpmodel.provenance import _shares; "
        "_shares.walks_worth_loading = lambda *a: True; g = kp.ProvenanceGraph(); "
        "a = g.produce(country='CF', zone='A', carats=10, on='2014-01-01'); "
        "b = g.produce(country='CF', zone='B', carats=30, on='2014-01-01'); m = g.mix([a, b]); "
        "print(kp.origin_shares(g, by='zone', lots=[m]).of(m), 'numba' in sys.modules)"
    )
    walked = run([python, "-I", "-c", walks], cwd=empty, env=env)
    assert walked.stdout.strip() == "{'CF/A': 0.25, 'CF/B': 0.75} True"
    assert sorted(p.name for p in empty.iterdir()) == ["kpmodel-demo"]
