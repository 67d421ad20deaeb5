"""Laundering through a neighbour and a hub: a CAR parcel on a clean-looking certificate.

The story follows laundering mechanisms documented in public sources: after the KP
suspended the Central African Republic (23 May 2013), rough from Séléka-held
areas such as Bria was smuggled into Cameroon and given Cameroonian KP certificates (UN
Panel of Experts 2015; PAC, "From Conflict to Illicit", 2016), and problem parcels were
mixed in Dubai and re-exported on certificates of mixed origin (PAC watchlist). The US
Treasury says BADICA bought over 1,100 ct from Bria and Sam-Ouandja between mid-2014 and
March 2015; we use that figure for the parcel. Every other quantity and date below is
illustrative, chosen to tell the story, not a record of a real shipment.

What the script shows: the certificates along the chain read "CM" and then "MIXED"; the
provenance graph says otherwise, and `audit` finds both shipments.

Run: ``python examples/02_car_parcel_journey.py``; figures go to the directory in
``KPMODEL_FIGURES`` (default: a temporary directory).
"""

import os
import tempfile
from pathlib import Path

import kpmodel as kp
from kpmodel.participants import Register

graph = kp.ProvenanceGraph()

# Bria, CAR, mid-2014: the parcel (1,100 ct: US Treasury on BADICA's purchases).
bria = graph.produce(country="CF", zone="Bria", carats=1_100, on="2014-07-15")
# Smuggled across the border into Cameroon: no certificate.
in_cameroon = graph.smuggle(bria, to="CM", on="2014-08-10")
# Mixed with a little genuine Cameroonian production (illustrative), certified as Cameroon's.
cameroon_own = graph.produce(country="CM", carats=150, on="2014-08-01")
cameroon_lot = graph.mix([in_cameroon, cameroon_own], at="CM")
to_dubai = graph.ship(cameroon_lot, to="AE", on="2015-02-01", certificate="CM-2015-0007")

# Botswana and Russian goods arrive in Dubai on their own certificates (illustrative sizes).
botswana = graph.produce(country="BW", carats=6_000, on="2016-05-01")
russia = graph.produce(country="RU", carats=4_000, on="2016-05-01")
bw_in_dubai = graph.ship(botswana, to="AE", on="2016-06-01", certificate="BW-2016-0412")
ru_in_dubai = graph.ship(russia, to="AE", on="2016-06-01", certificate="RU-2016-1290")

# Dubai mixes everything, splits it into two assortments and re-exports them.
dubai_mix = graph.mix([to_dubai, bw_in_dubai, ru_in_dubai], at="AE")
for_india, for_belgium = graph.split(dubai_mix, [7_000, 4_250])
to_india = graph.ship(for_india, to="IN", on="2016-11-01", certificate="AE-2016-5531")
to_belgium = graph.ship(for_belgium, to="BE", on="2016-11-02", certificate="AE-2016-5532")

print("What the certificates say:")
print(kp.provenance.declared_origins(graph).to_string(index=False))

shares = kp.origin_shares(graph, by="zone")
print("\nWhat the stones really are (share of each shipment's carats, by zone):")
print(shares.to_frame().loc[[to_dubai, to_india, to_belgium]].round(4).to_string())

print("\nOpacity: share of certified carats whose origin the certificate does not show:")
print(kp.provenance.opacity(graph).round(3).to_string())

findings = kp.provenance.audit(graph, register=Register.default())
print(f"\nThe audit finds {len(findings)} problems on clean-looking certificates:")
for f in findings:
    print(
        f"- {f.certificate} ({f.exporter} -> {f.importer}, {f.on}): declares '{f.declared_origin}'"
        f" but {f.share:.1%} ({f.carats:,.0f} ct) is {f.origin} [{f.reason}]"
    )
    for path in f.paths[:2]:
        print(f"    via lots {' -> '.join(map(str, path.lots))}: {path.carats:,.1f} ct")
    print(f"    reference: {f.reference}")
assert {f.reason for f in findings} >= {"suspended", "non-compliant-zone", "smuggled"}

figures = Path(os.environ.get("KPMODEL_FIGURES") or tempfile.mkdtemp(prefix="kpmodel-"))
figures.mkdir(parents=True, exist_ok=True)
ax = kp.provenance.plot_flows(graph, title="The CAR parcel: Bria -> Cameroon -> Dubai -> India")
ax.figure.savefig(figures / "02_flows.png", dpi=120)
ax = kp.provenance.plot_case(graph, title="Provenance graph of the case")
ax.figure.savefig(figures / "02_case.png", dpi=120)
ax = kp.provenance.plot_shares(shares, [to_dubai, to_india, to_belgium])
ax.figure.savefig(figures / "02_shares.png", dpi=120)
print(f"\nFigures saved in {figures}")
