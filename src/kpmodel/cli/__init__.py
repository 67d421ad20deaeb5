"""The `kpmodel` command line: check, trace, compare, statistics, simulate, sweep, data, demo.

Installed as the console script ``kpmodel`` (also ``python -m kpmodel``). Every table
command takes ``--format table|csv|json``; errors print in a few lines with what to do and
exit with status 2 (``--debug`` shows the traceback). Run ``kpmodel --help`` for the list.
"""

from kpmodel.cli._app import main

__all__ = ["main"]
