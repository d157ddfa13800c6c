"""An installed grader has every file it reads: templates and schemas are package data, not only files
beside the source. An editable install finds them either way, so this test holds the declaration to the
tree, and .ci/run builds the wheel and runs every README command from it."""
from __future__ import annotations

import fnmatch
import tomllib

from conftest import ROOT

PACKAGE = ROOT / "grader"


def _data_files() -> list[str]:
    """Files under grader/ that are not modules, relative to the package."""
    return sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts)


def test_every_data_file_is_declared_as_package_data():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["grader"]
    files = _data_files()
    assert any(f.endswith(".j2") for f in files) and any(f.endswith(".json") for f in files)
    undeclared = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert not undeclared, f"not in [tool.setuptools.package-data]: {undeclared}"

