"""The example certificate files shipped inside the package (``kpmodel/datasets/examples``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kpmodel._boundary import show
from kpmodel.errors import InvalidArgumentError

#: Suffixes of the example files (the folder also holds a README.md describing them).
_SUFFIXES = (".json", ".csv")


def example_folder() -> Path:
    """Return the folder of example certificate files shipped with kpmodel.

    Small files in kpmodel's exchange formats (JSON certificates, a shipment, an import
    confirmation and a CSV ledger), realistic in their countries, dates and rules and
    fictional in every party, authority and certificate number. ``kpmodel demo`` checks
    them; the folder's ``README.md`` lists the findings each gives. The folder is inside
    the installed package: read from it, never write into it.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> folder = kp.datasets.example_folder()
    >>> (folder / "README.md").is_file()
    True
    >>> sorted(p.name for p in folder.glob("*.csv"))
    ['ledger-bw-2023.csv']
    """
    return Path(str(resources.files("kpmodel.datasets").joinpath("examples")))


def example_files() -> list[Path]:
    """Return the paths of the shipped example certificate files, sorted by name.

    Returns
    -------
    list of pathlib.Path
        The ``.json`` and ``.csv`` files of `example_folder` (not its README).

    Examples
    --------
    >>> [p.name for p in kp.datasets.example_files()][:2]
    ['certificate-defective-car-suspended-2014.json', 'certificate-defective-za-2019.json']
    """
    return sorted(p for p in example_folder().iterdir() if p.suffix in _SUFFIXES)


def example_file(name: str) -> Path:
    """Return the path of one shipped example file, by its file name.

    Parameters
    ----------
    name : str
        A file name that `example_files` lists, such as ``"ledger-bw-2023.csv"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        When no example file has that name; the message lists the names.

    Examples
    --------
    >>> ledger = kp.certificates.load(kp.datasets.example_file("ledger-bw-2023.csv"))
    >>> len(ledger)
    3
    >>> kp.datasets.example_file("nope.json")
    Traceback (most recent call last):
    ...
    kpmodel.errors.InvalidArgumentError: no example file 'nope.json'; choose one of: ...
    """
    names = {p.name: p for p in example_files()}
    if not isinstance(name, str) or name not in names:
        msg = f"no example file {show(name)}; choose one of: {', '.join(names)}"
        raise InvalidArgumentError(msg)
    return names[name]
