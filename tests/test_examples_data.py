"""The example files shipped in kpmodel/datasets/examples load and give their README findings."""

import pytest

import kpmodel as kp

DATA = kp.datasets.example_folder()

EXPECTED = {
    "certificate-valid-bw-be-2023.json": set(),
    "certificate-valid-mixed-ae-in-2024.json": set(),
    "certificate-warning-mixed-unlisted-2025.json": {"mixed-origin-listing"},
    "certificate-defective-za-2019.json": {
        "annex-i-authority",
        "annex-i-dates",
        "annex-i-language",
        "annex-i-parcels",
    },
    "certificate-defective-car-suspended-2014.json": {"kp-decision-certificate"},
    "shipment-bw-be-2023.json": set(),
    "confirmation-bw-be-2023.json": set(),
    "ledger-bw-2023.csv": {"ledger-unique-number"},
}


def test_every_file_is_listed():
    """Each data file has its expected findings here (and in the README)."""
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    files = {path.name for path in DATA.iterdir() if path.name != "README.md"}
    assert files == set(EXPECTED)
    assert all(f"`{name}`" in readme for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_loads_and_gives_its_findings(name):
    """The file loads, and checking it reports exactly the rules listed."""
    found = {finding.rule for finding in kp.check(kp.certificates.load(DATA / name)).findings}
    assert found == EXPECTED[name]


def test_shipment_and_confirmation_pair():
    """The shipment and its confirmation, checked together, have no finding."""
    shipment = kp.certificates.load(DATA / "shipment-bw-be-2023.json")
    confirmation = kp.certificates.load(DATA / "confirmation-bw-be-2023.json")
    assert kp.check([shipment, confirmation]).findings == ()
