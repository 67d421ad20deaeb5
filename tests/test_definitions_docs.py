"""The examples of the definitions explanation page run and give the numbers it states."""

import doctest
from pathlib import Path

import kpmodel

PAGE = Path(__file__).resolve().parents[1] / "docs" / "explanation" / "definitions.md"


def test_explanation_page_examples_run():
    """Every ``>>>`` example on docs/explanation/definitions.md gives its printed output."""
    result = doctest.testfile(
        str(PAGE),
        module_relative=False,
        globs={"kp": kpmodel},
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 10
    assert result.failed == 0
