"""Sphinx configuration for the kpmodel documentation."""

import sys
from pathlib import Path

# The gallery extension (docs/_ext/kpmodel_gallery.py) runs the teaching examples.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "kpmodel"
author = "kpmodel developers"
copyright = "2026, kpmodel developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
    "kpmodel_gallery",
]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"
nitpicky = False
# No intersphinx: the build runs without network access.
html_theme = "furo"
exclude_patterns = ["_build"]
# Without intersphinx, standard-library and third-party classes have no target to link to.
nitpick_ignore_regex = [
    ("py:class", r"(enum|datetime|decimal|collections\.abc|typing|os|pathlib)\..*"),
    ("py:class", r"(numpy|pandas|scipy|networkx|attrs|hypothesis|matplotlib)\..*"),
]
