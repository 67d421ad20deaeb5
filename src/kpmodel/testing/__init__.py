"""Testing aids for kpmodel and for users' own tests.

`kpmodel.testing.strategies` holds Hypothesis strategies (install the ``testing`` extra:
``pip install kpmodel[testing]``). `import kpmodel` never imports Hypothesis.

Conformance checks tell a plug-in author whether their plug-in keeps kpmodel's contract:
`check_definition` for conflict-diamond definitions.
"""

from kpmodel.testing._checks import check_definition

__all__ = ["check_definition"]
