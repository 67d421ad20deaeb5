"""The `Ledger`: paperwork as one table of parcels, the interchange type of kpmodel.

Every part of kpmodel produces and accepts paperwork as a `Ledger`: one row per parcel
shipped under a KP certificate, with canonical columns (`COLUMNS`; the first nine,
`REQUIRED_COLUMNS`, are required). Read one from a file (`Ledger.read`: CSV, Excel,
Parquet, JSON), a DataFrame with your own column names (`Ledger.from_frame`), certificate
records (`Ledger.from_records`) or a simulation (`kpmodel.simulation.SimulationResult.ledger`).
Loading checks every cell and reports every problem at once, with its row and column.
"""

from kpmodel.ledger._ledger import COLUMNS, REQUIRED_COLUMNS, Ledger

Ledger.__module__ = "kpmodel.ledger"

__all__ = ["COLUMNS", "Ledger", "REQUIRED_COLUMNS"]  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)
