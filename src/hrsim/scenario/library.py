"""The built-in scenarios: the files in the repository's top-level ``scenarios/``, shipped in hrsim.

Users find and edit them at the top of the repository (the README's commands name
``scenarios/baseline.toml``). ``builtin`` next to this module is a symbolic link to that
folder, so there is one copy of each file in git and:

- an editable install (and the checkout itself) reads the files in place, through the link;
- ``python -m build`` copies them into the sdist and the wheel as package data
  (``hrsim/scenario/builtin/*.toml``, ``[tool.setuptools.package-data]`` in pyproject.toml),
  so an installed wheel, which has no checkout, has them too.

A checkout made without symbolic links (Git for Windows' default) has a small text file in
place of the link; the checkout's ``scenarios/`` is used then.
"""

from __future__ import annotations

from pathlib import Path

from hrsim.errors import ScenarioError

_HERE = Path(__file__).resolve().parent
BASELINE = "baseline.toml"


def library() -> Path:
    """The folder that holds the built-in scenario files (``baseline.toml`` and the rest)."""
    packaged = _HERE / "builtin"
    if packaged.is_dir():
        return packaged
    checkout = _HERE.parents[2] / "scenarios"  # src/hrsim/scenario -> the repository's root
    if checkout.is_dir():
        return checkout
    raise ScenarioError(f"the built-in scenarios are missing: neither {packaged} nor {checkout}")


def builtin_names() -> list[str]:
    """The built-in scenario files' names, ``baseline.toml`` first, then alphabetical."""
    names = sorted(p.name for p in library().glob("*.toml"))
    return sorted(names, key=lambda n: n != BASELINE)


def is_builtin(name: str) -> bool:
    """Whether ``name`` (a file name, with or without ``.toml``) is a built-in scenario."""
    return _file_name(name) in builtin_names()


def _file_name(name: str) -> str:
    return name if name.endswith(".toml") else f"{name}.toml"


def builtin(name: str) -> Path:
    """The path of a built-in scenario, by file name with or without ``.toml``."""
    file = _file_name(name)
    path = library() / file
    if Path(file).name != file or not path.is_file():
        known = ", ".join(n.removesuffix(".toml") for n in builtin_names())
        raise ScenarioError(f"no built-in scenario {name!r}; there are: {known}")
    return path


__all__ = ["BASELINE", "builtin", "builtin_names", "is_builtin", "library"]
