"""kpmodel: model the Kimberley Process Certification Scheme.

The top level re-exports the names most scripts need; every part also has its own package
(`kpmodel.participants`, `kpmodel.certificates`, `kpmodel.rules`, ...) with its full API.

For example:

>>> import kpmodel as kp
>>> kp.__version__
'0.1.0'
"""

from kpmodel import datasets, definitions, errors, participants, simulation, statistics
from kpmodel.definitions import compare
from kpmodel.errors import KPModelError

__version__ = "0.1.0"

__all__ = [
    "KPModelError",
    "__version__",
    "compare",
    "datasets",
    "definitions",
    "errors",
    "participants",
    "simulation",
    "statistics",
]
