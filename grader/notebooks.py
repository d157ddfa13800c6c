"""A Jupyter notebook handed in as an answer -> one Python source, and where each of its lines came from.

Code parts are graded as plain Python, so a notebook is read for its code cells only (markdown and raw
cells are the student's notes), joined in order with a blank line between cells. A cell that does not
parse as Python and holds an IPython magic (``%time``, ``%%bash``) or a shell line (``!pip install``) is
refused, naming the cell and line: such a line would fail as Python anyway, and the student should hear
why rather than get a syntax error. A cell that parses is taken as written (``x = (5\\n%2)`` is modulo).

Cells are numbered as the student sees them, from the top, markdown cells counted; lines from 1.
``nbformat`` reads the file (it knows every notebook format version and converts old ones to v4).
"""
from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

Origin = tuple[int, int] | None  # (cell, line in the cell), both 1-based; None for a blank line between cells


class NotebookError(ValueError):
    """Why a notebook cannot be graded, in a sentence the student can act on."""


@dataclass(frozen=True)
class NotebookSource:
    source: str
    origins: tuple[Origin, ...]  # one per line of ``source``


def read_notebook(text: str) -> NotebookSource:
    """The code cells of a notebook (its JSON text) as one Python source; :class:`NotebookError` if the
    notebook cannot be read or holds magics or shell lines."""
    cells = _cells(text)
    lines: list[str] = []
    origins: list[Origin] = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):  # as stored on disk; nbformat joins these, but be sure
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {number}: its source is not text")
        if not source.strip():
            continue
        refused = ipython_line(source)
        if refused is not None:
            line, what = refused
            shown = source.splitlines()[line - 1].strip()
            raise NotebookError(f"cell {number}, line {line}: `{_short(shown)}` is {what}: notebooks are graded "
                                "as plain Python")
        if lines:
            lines.append("")
            origins.append(None)
        for index, line in enumerate(source.splitlines(), start=1):
            lines.append(line)
            origins.append((number, index))
    return NotebookSource("\n".join(lines) + ("\n" if lines else ""), tuple(origins))


def ipython_line(source: str) -> tuple[int, str] | None:
    """(line, what it is) of the first magic or shell line of a cell that is not Python, or None."""
    try:
        ast.parse(source)
        return None  # valid Python: a line starting with % or ! inside it is not IPython's
    except (SyntaxError, ValueError):
        pass
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("%%"):
            return number, "a cell magic"
        if stripped.startswith("%"):
            return number, "an IPython magic"
        if stripped.startswith("!"):
            return number, "a shell line"
    return None


def _cells(text: str) -> list:
    try:
        import nbformat
    except ImportError:  # pragma: no cover - a dependency; said plainly if an install lacks it
        raise NotebookError("notebooks cannot be read here (the nbformat package is not installed)") from None
    try:
        with warnings.catch_warnings():  # a missing cell id and the like: nbformat's worry, not the student's
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises JSON, version and schema errors of several types
        raise NotebookError(f"not a readable notebook: {_reason(exc)}") from None
    cells = notebook.get("cells") if hasattr(notebook, "get") else None
    if not isinstance(cells, list):
        raise NotebookError("not a readable notebook: it has no list of cells")
    return cells


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__name__ == "NotJSONError":
        return "it is not JSON (save it from Jupyter, or hand in a .py file)"
    return _short(text, 200)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
