"""Testing aids for kpmodel and for users' own tests.

`kpmodel.testing.strategies` holds Hypothesis strategies (install the ``testing`` extra:
``pip install kpmodel[testing]``). `import kpmodel` never imports Hypothesis.
"""

from kpmodel.testing._checks import check_definition

__all__ = ["check_definition"]
