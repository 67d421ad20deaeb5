"""Anatomy of a Kimberley Process certificate: the fourteen Annex I elements, checked.

Every export of rough diamonds between KP participants travels with a certificate, and
Annex I, Part A of the KPCS core document fixes what it must at least say (the fourteen
elements, as the US regulation 31 CFR 592.307 reproduces them). There is no single layout:
each participant designs its own (WDC newsletter 43), so a checker reads the elements, not
the form.

The script loads a valid example certificate (Botswana to Belgium, 2023; the parties are
fictional) shipped with kpmodel (``kp.datasets.example_folder()``), shows where each
element lives in kpmodel's record, checks it, and then checks two defective ones: a South
African certificate of 2019 missing four elements, and one from the Central African Republic
issued in February 2014, while the CAR was suspended (KP Administrative Decision of 23 May
2013).

Run: ``python examples/01_anatomy_of_a_certificate.py``. The figure goes to the directory in
``KPMODEL_FIGURES`` (a temporary directory by default).
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import kpmodel as kp

DATA = kp.datasets.example_folder()
FIGURES = Path(os.environ.get("KPMODEL_FIGURES") or tempfile.mkdtemp(prefix="kpmodel-"))

# The Annex I, Part A elements in the order of 31 CFR 592.307, with the record field that
# holds each and the rule that checks it. Carats, value and HS code have no rule: a Parcel
# cannot exist without them (kpmodel.certificates.Parcel validates them on construction).
ELEMENTS = [
    ("Title and KPCS statement", "kp_statement", "annex-i-statement"),
    ("Country of origin (unmixed parcels)", "parcels[].origin", "annex-i-origin"),
    ("Language, with an English translation", "language", "annex-i-language"),
    ("Unique number with ISO alpha-2 code", "number", "annex-i-number"),
    ("Tamper- and forgery-resistant", "forgery_resistant", "annex-i-forgery-resistant"),
    ("Date of issuance", "issued", "annex-i-dates"),
    ("Date of expiry", "expires", "annex-i-dates"),
    ("Issuing authority", "issuing_authority", "annex-i-authority"),
    ("Exporter and importer", "exporter, importer", "annex-i-parties"),
    ("Carat weight", "parcels[].carats", None),
    ("Value in US dollars", "parcels[].value_usd", None),
    ("Number of parcels", "number_of_parcels", "annex-i-parcels"),
    ("HS code", "parcels[].hs_code", None),
    ("Validation by the exporting authority", "validated", "annex-i-validation"),
]


def value_of(cert: kp.certificates.Certificate, field: str) -> str:
    """What the certificate says for one element, in a few words."""
    if field.startswith("parcels[]."):
        attribute = field.removeprefix("parcels[].")
        return ", ".join(str(getattr(p, attribute)) for p in cert.parcels)
    if field == "exporter, importer":
        return f"{cert.exporter.name if cert.exporter else None} -> " + (
            f"{cert.importer.name if cert.importer else None}"
        )
    return str(getattr(cert, field))


def flagged(report: kp.rules.Report, field: str, rule: str | None) -> bool:
    """Whether the check found a breach of this element."""
    first_field = field.split(",")[0].removeprefix("parcels[].")
    return any(
        f.rule == rule and (rule != "annex-i-dates" or f.path.startswith(first_field))
        for f in report.findings
    )


def anatomy(cert: kp.certificates.Certificate) -> None:
    print(f"Certificate {cert.number}: {cert.issuing_country} -> {cert.destination_country}")
    for number, (element, field, _rule) in enumerate(ELEMENTS, start=1):
        print(f"  {number:2}. {element:<40} {field:<20} {value_of(cert, field)}")
    print(f"  Totals: {cert.carats} ct, US${cert.value_usd}, {len(cert.parcels)} parcels listed")


def main() -> None:
    valid = kp.certificates.load(DATA / "certificate-valid-bw-be-2023.json")
    print("ANATOMY OF A KIMBERLEY PROCESS CERTIFICATE\n")
    anatomy(valid)
    report = kp.check(valid)
    print(f"\nkp.check: {report}")
    print("(the statement it carries:", repr(kp.certificates.KP_STATEMENT[:50] + "..."), ")")

    defective = kp.certificates.load(DATA / "certificate-defective-za-2019.json")
    print("\nA DEFECTIVE CERTIFICATE\n")
    anatomy(defective)
    defects = kp.check(defective)
    print(f"\nkp.check finds {len(defects.findings)} errors:")
    for finding in defects.findings:
        print(f"  - {finding.path}: {finding.message}")
        print(f"    rule {finding.rule}, {finding.reference}")

    suspended = kp.certificates.load(DATA / "certificate-defective-car-suspended-2014.json")
    print("\nA CERTIFICATE WITH EVERY ELEMENT, FROM A SUSPENDED PARTICIPANT\n")
    print(kp.check(suspended))
    print("Annex I is about the paper; Section III(c) is about who may trade, and when.")

    print("\nSome defects cannot even be written down: the record refuses them.")
    try:
        kp.certificates.Parcel(hs_code="7102.39", carats="10", value_usd="500", origin="BW")
    except kp.errors.InvalidRecordError as error:
        print(f"  Parcel(hs_code='7102.39', ...) -> InvalidRecordError: {error}")

    figure = checklist(valid, report, defective, defects)
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / "01_annex_i_checklist.png"
    figure.savefig(path, dpi=120)
    print(f"\nFigure saved: {path}")


def checklist(valid, report, defective, defects) -> plt.Figure:
    """The fourteen elements, green where the check passes and red where it fails."""
    figure, ax = plt.subplots(figsize=(8, 4.4))
    ax.set_axis_off()
    rows = [[element, "", ""] for element, _, _ in ELEMENTS]
    table = ax.table(
        cellText=rows,
        colLabels=["Annex I, Part A element", valid.number, defective.number],
        loc="center",
        cellLoc="left",
        colWidths=[0.6, 0.2, 0.2],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for row, (_, field, rule) in enumerate(ELEMENTS, start=1):
        for column, found in ((1, report), (2, defects)):
            bad = flagged(found, field, rule)
            table[row, column].set_facecolor("#e8a09a" if bad else "#a8d5a2")
            table[row, column].get_text().set_text("missing or wrong" if bad else "ok")
    ax.set_title("What kp.check finds, element by element")
    figure.tight_layout()
    return figure


if __name__ == "__main__":
    main()
