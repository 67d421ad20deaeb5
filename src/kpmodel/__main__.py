"""``python -m kpmodel``: the `kpmodel` command."""

from kpmodel.cli import main

raise SystemExit(main())
